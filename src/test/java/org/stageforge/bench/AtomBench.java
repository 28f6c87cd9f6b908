package org.stageforge.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.stageforge.atom.Atom;
import org.stageforge.atom.DepString;
import org.stageforge.atom.Version;

import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of version comparison, version and atom parsing, and dependency-string reduction
 * on generated data shaped like the Portage corpora (so it needs no fixtures). Run with
 * {@code bench/atom.sh} or this class's {@code main}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class AtomBench {
    private static final int N = 1024;
    private static final String[] SUFFIXES = {"_alpha", "_beta", "_pre", "_rc", "_p"};
    private static final String[] CATS = {"dev-libs", "sys-apps", "app-misc", "x11-libs", "dev-python"};
    private static final String[] NAMES = {"foo", "gtk+", "x-y-z", "libfoo2", "bar-baz"};
    private static final String[] OPS = {">=", "<=", "=", "~", "<", ">"};
    private static final String[] USE = {"ssl", "-static-libs", "foo?", "!bar?", "abi_x86_32(-)=", "python_targets_python3_12(+)"};

    private final Version[] left = new Version[N];
    private final Version[] right = new Version[N];
    private final String[] versionText = new String[N];
    private final String[] atomText = new String[N];
    private String depString;
    private final Set<String> use = Set.of("ssl", "foo", "python_targets_python3_12");

    @Setup
    public void setup() {
        Random r = new Random(42);
        for (int i = 0; i < N; i++) {
            String a = version(r);
            // half the pairs share a prefix, so comparisons reach suffixes and revisions
            String b = r.nextBoolean() || a.contains("-r") ? version(r) : a + (r.nextBoolean() ? "_p" + r.nextInt(9) : "-r" + r.nextInt(9));
            left[i] = Version.parse(a);
            right[i] = Version.parse(b);
            versionText[i] = a;
            atomText[i] = atom(r);
        }
        StringBuilder dep = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            if (i % 4 == 1) dep.append("ssl? ( ").append(atomText[i]).append(" ) ");
            else if (i % 4 == 3) dep.append("|| ( ").append(atomText[i]).append(' ').append(atomText[i + 100]).append(" ) ");
            else dep.append(atomText[i]).append(' ');
        }
        depString = dep.toString().replace("::gentoo", "");
    }

    private static String version(Random r) {
        StringBuilder sb = new StringBuilder().append(r.nextInt(40));
        int parts = r.nextInt(4);
        for (int k = 0; k < parts; k++) sb.append('.').append(r.nextInt(5) == 0 ? "0" : "").append(r.nextInt(40));
        if (r.nextInt(4) == 0) sb.append((char) ('a' + r.nextInt(26)));
        if (r.nextInt(3) == 0) sb.append(SUFFIXES[r.nextInt(SUFFIXES.length)]).append(r.nextBoolean() ? "" : r.nextInt(30));
        if (r.nextInt(3) == 0) sb.append("-r").append(r.nextInt(20));
        return sb.toString();
    }

    private static String atom(Random r) {
        StringBuilder sb = new StringBuilder();
        boolean versioned = r.nextInt(3) > 0;
        if (versioned) sb.append(OPS[r.nextInt(OPS.length)]);
        sb.append(CATS[r.nextInt(CATS.length)]).append('/').append(NAMES[r.nextInt(NAMES.length)]);
        if (versioned) sb.append('-').append(version(r));
        if (r.nextInt(3) == 0) sb.append(r.nextBoolean() ? ":0" : ":0/2.1=");
        if (r.nextInt(3) == 0) {
            sb.append('[').append(USE[r.nextInt(USE.length)]);
            if (r.nextBoolean()) sb.append(',').append(USE[r.nextInt(USE.length)].replace("foo", "baz"));
            sb.append(']');
        }
        return sb.toString();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public int versionCompare() {
        int s = 0;
        for (int i = 0; i < N; i++) s += left[i].compareTo(right[i]);
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void versionParse(Blackhole bh) {
        for (int i = 0; i < N; i++) bh.consume(Version.parse(versionText[i]));
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void atomParse(Blackhole bh) {
        for (int i = 0; i < N; i++) bh.consume(Atom.parse(atomText[i]));
    }

    @Benchmark
    public Object depStringParseAndReduce() {
        return DepString.reduceFlat(DepString.parse(depString, DepString.Kind.DEPEND), use);
    }

    /** Runs this benchmark; extra arguments go to JMH (e.g. {@code -wi 1 -i 1}). */
    public static void main(String[] args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = AtomBench.class.getName();
        System.arraycopy(args, 0, all, 1, args.length);
        org.openjdk.jmh.Main.main(all);
    }
}

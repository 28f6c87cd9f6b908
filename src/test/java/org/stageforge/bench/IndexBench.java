package org.stageforge.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.stageforge.index.PackagesIndex;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Speed of the index and VDB code on self-made data of realistic size: a 1000-entry Packages
 * index (parse, exact write) and a 300-package VDB (list with all files, write one entry).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IndexBench {

    private byte[] packages;
    private PackagesIndex parsed;
    private Path root;
    private VdbEntry entry;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        StringBuilder sb = new StringBuilder("CHOST: x86_64-pc-linux-gnu\nPACKAGES: 1000\nTIMESTAMP: 1\nVERSION: 0\n\n");
        for (int i = 0; i < 1000; i++) {
            sb.append("BUILD_ID: 1\nBUILD_TIME: 1700000000\nCPV: cat-").append(i % 40).append("/pkg").append(i).append("-1.").append(i)
                    .append("\nDEFINED_PHASES: compile configure install prepare\nEAPI: 8\nIUSE: +ssl test static-libs\n")
                    .append("KEYWORDS: amd64 ~arm64\nLICENSE: GPL-2\nMD5: 0123456789abcdef0123456789abcdef\n")
                    .append("PATH: cat/pkg").append(i).append("/pkg").append(i).append("-1-1.gpkg.tar\n")
                    .append("RDEPEND: >=sys-libs/glibc-2.38 ssl? ( dev-libs/openssl:0= ) sys-libs/zlib:=\n")
                    .append("SHA1: 0123456789abcdef0123456789abcdef01234567\nSIZE: 123456\nUSE: abi_x86_64 amd64 ssl\n")
                    .append("MTIME: 1700000001\nREPO: gentoo\n\n");
        }
        packages = sb.toString().getBytes(StandardCharsets.UTF_8);
        parsed = PackagesIndex.parse("bench", packages);
        root = Files.createTempDirectory("sf-bench-vdb");
        for (int i = 0; i < 300; i++) Vdb.write(root, entry(i));
        entry = entry(1000);
    }

    private static VdbEntry entry(int i) {
        List<ContentsEntry> contents = new ArrayList<>();
        contents.add(ContentsEntry.dir("/usr"));
        for (int f = 0; f < 50; f++) contents.add(ContentsEntry.obj("/usr/share/p" + i + "/file " + f, "0123456789abcdef0123456789abcdef", 1700000000L));
        return VdbEntry.builder("cat-" + i % 20, "pkg" + i + "-1.0").field("SLOT", "0").field("EAPI", "8")
                .field("USE", "abi_x86_64 amd64").field("repository", "gentoo").field("KEYWORDS", "amd64")
                .counter(i).contents(contents).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Benchmark
    public PackagesIndex parsePackages1000() {
        return PackagesIndex.parse("bench", packages);
    }

    @Benchmark
    public byte[] writePackages1000() {
        return parsed.toBytes();
    }

    @Benchmark
    public int listVdb300() {
        int n = 0;
        for (VdbEntry e : Vdb.open(root).installed()) n += e.contents().size();
        return n;
    }

    @Benchmark
    public void writeVdbEntry() {
        Vdb.write(root, entry);
    }
}

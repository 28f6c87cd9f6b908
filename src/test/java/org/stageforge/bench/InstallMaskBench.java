package org.stageforge.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.stageforge.merge.InstallMask;
import org.stageforge.merge.InstallMaskSets;

import java.util.concurrent.TimeUnit;

/**
 * INSTALL_MASK decisions per path with a realistic mask (the shipped sets plus an unmask and a basename glob).
 * Goal: well under 1 µs per path, so masking is negligible next to extracting a file.
 * Run: {@code mvn -q test-compile && java -cp target/test-classes:target/classes:$(cat cp.txt) org.openjdk.jmh.Main InstallMaskBench}
 * (cp.txt from {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class InstallMaskBench {
    private InstallMask mask;
    private final String[] paths = {
            "/usr/share/doc/dbus-1.15.6/README.bz2", "/usr/bin/dbus-daemon", "/usr/lib64/libdbus-1.so.3.32.4",
            "/usr/lib/systemd/system/dbus.service", "/usr/share/locale/de/LC_MESSAGES/coreutils.mo",
            "/usr/share/man/man1/ls.1.bz2", "/etc/dbus-1/system.conf", "/usr/lib64/libz.a",
            "/usr/include/zlib.h", "/usr/share/doc/", "/usr/lib/python3.11/site-packages/foo/__init__.pyc",
    };

    @Setup
    public void setup() {
        mask = InstallMask.parse("@docs @man @info @locale @systemd @static-libs -/usr/share/doc/keep *.pyc",
                InstallMaskSets.defaults());
    }

    @Benchmark
    public void isMaskedElevenPaths(Blackhole bh) {
        for (String p : paths) bh.consume(mask.isMasked(p));
    }
}

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
import org.stageforge.profile.PortageConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Time to evaluate default/linux/amd64/23.0/systemd from the fixture repository: {@link #cold} is
 * the first evaluation in a fresh JVM (one shot per fork), {@link #warm} the steady-state average.
 * Goal: cold under 300 ms. Run with {@code bench/profile.sh}.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ProfileBench {
    static final String PROFILE = "default/linux/amd64/23.0/systemd";
    Path repo;

    @Setup
    public void setup() {
        String fx = System.getenv("STAGEFORGE_FIXTURES");
        Path root = Path.of(fx == null || fx.isEmpty() ? "../shared/fixtures" : fx);
        repo = root.resolve("gentoo-repo").toAbsolutePath();
        if (!Files.isDirectory(repo)) throw new IllegalStateException("fixtures not found at " + repo);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    @Fork(10)
    public PortageConfig cold() {
        return PortageConfig.forProfile(repo, PROFILE, Map.of());
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(1)
    public PortageConfig warm() {
        return PortageConfig.forProfile(repo, PROFILE, Map.of());
    }
}

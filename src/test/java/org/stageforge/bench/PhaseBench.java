package org.stageforge.bench;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.stageforge.phase.BashPhaseRunner;
import org.stageforge.phase.Isolation;
import org.stageforge.phase.PhaseContext;
import org.stageforge.phase.PhaseResult;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Cost of one pkg_postinst run of a package with a realistic saved environment (300 variables,
 * 150 functions), confined in namespaces or not: the fixed price each package with phases pays.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PhaseBench {
    @Param({"NAMESPACE", "NONE"})
    public Isolation isolation;

    private Path dir;
    private PhaseContext ctx;
    private BashPhaseRunner runner;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("sf-bench-phase");
        StringBuilder env = new StringBuilder();
        for (int i = 0; i < 300; i++) env.append("declare -x VAR_").append(i).append("=\"value ").append(i).append("\"\n");
        for (int i = 0; i < 150; i++) {
            env.append("helper_").append(i).append(" () \n{ \n    local x=").append(i).append(";\n    echo \"$x\"\n}\n");
        }
        env.append("pkg_postinst () \n{ \n    use foo && einfo on;\n    mkdir -p \"${ROOT}/var/lib/x\"\n}\n");
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (var out = new BZip2CompressorOutputStream(bos)) {
            out.write(env.toString().getBytes(StandardCharsets.UTF_8));
        }
        Files.createDirectories(dir.resolve("root"));
        ctx = new PhaseContext("app-misc", "bench-1", "0", "foo", "8", "gentoo", "postinst", bos.toByteArray(),
                dir.resolve("root"), dir.resolve("build"), null, List.of(), null, null);
        runner = new BashPhaseRunner(isolation, Duration.ofMinutes(1));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Benchmark
    public PhaseResult postinst() {
        return runner.run(ctx, "postinst");
    }
}

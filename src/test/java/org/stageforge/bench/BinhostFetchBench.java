package org.stageforge.bench;

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
import org.stageforge.binhost.BinhostClient;
import org.stageforge.binhost.FetchListener;
import org.stageforge.binhost.FetchResult;
import org.stageforge.server.StaticServer;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Fetching a whole fixture binhost (index, every present binpkg, verification) over loopback HTTP
 * into an empty cache ({@code cold}) and again over a full cache ({@code warm}).
 * Run: see the report of the binhost work (java -cp test-classes:classes:deps org.openjdk.jmh.Main BinhostFetchBench).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class BinhostFetchBench {
    @Param({"binhost-xpak-amd64", "binhost-gpkg-amd64"})
    String binhost;

    @Param({"4"})
    int jobs;

    private StaticServer server;
    private Path cache;
    private Path warmCache;

    @Setup(Level.Trial)
    public void start() throws IOException {
        Path dir = Fixtures.root().resolve(binhost);
        if (!Files.isDirectory(dir)) throw new IllegalStateException("fixtures not found at " + dir);
        server = StaticServer.start(dir, 0);
        warmCache = Files.createTempDirectory("sf-bench-warm");
        fetch(warmCache);
    }

    @Setup(Level.Iteration)
    public void freshCache() throws IOException {
        cache = Files.createTempDirectory("sf-bench-cold");
    }

    @TearDown(Level.Iteration)
    public void dropCache() throws IOException {
        delete(cache);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        server.close();
        delete(warmCache);
    }

    @Benchmark
    public FetchResult cold() {
        return fetch(cache);
    }

    @Benchmark
    public FetchResult warm() {
        return fetch(warmCache);
    }

    private FetchResult fetch(Path cacheDir) {
        try (BinhostClient c = BinhostClient.open(server.uri().toString(), BinhostClient.Options.of(cacheDir).withJobs(jobs))) {
            return c.fetchAll(c.fetchIndex().refs(), FetchListener.NONE);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}

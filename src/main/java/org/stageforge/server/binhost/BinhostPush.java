package org.stageforge.server.binhost;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.PackageMetadata;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code stageforge binhost push}: uploads every GPKG of a local binhost directory to a server's binhost,
 * a bounded number at a time, and checks that each answer names the SHA-256 of the bytes sent.
 */
public final class BinhostPush {
    private static final Pattern BUILD_ID = Pattern.compile(".*-([1-9][0-9]{0,17})\\.gpkg\\.tar");

    /** One package's outcome: {@code status} the HTTP status (0 when none came), {@code message} the reason of a failure. */
    public record Outcome(Path file, String path, int status, String message) {
        public boolean ok() {
            return status == 200 || status == 201;
        }
    }

    /** All outcomes, in file order. */
    public record Result(List<Outcome> outcomes) {
        public List<Outcome> failures() {
            return outcomes.stream().filter(o -> !o.ok()).toList();
        }

        /** 0, or 4 when the server refused a package as invalid, else 1. */
        public int exitCode() {
            if (failures().isEmpty()) return ExitCodes.OK;
            return failures().stream().allMatch(o -> o.status() == 422 || o.status() == 415) ? ExitCodes.VERIFY : ExitCodes.FAILURE;
        }
    }

    private BinhostPush() {}

    /** The GPKGs under {@code dir}, sorted. */
    public static List<Path> packages(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new StageforgeException(dir + ": not a directory", ExitCodes.NOT_FOUND, null);
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".gpkg.tar") && Files.isRegularFile(p)).sorted().toList();
        }
    }

    public static Result push(Path dir, URI server, String binhost, String token, int jobs) throws IOException {
        if (jobs < 1) throw new IllegalArgumentException("jobs must be at least 1");
        List<Path> files = packages(dir);
        if (files.isEmpty()) throw new StageforgeException(dir + ": no .gpkg.tar packages", ExitCodes.NOT_FOUND, null);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        try {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (Path f : files) futures.add(pool.submit(() -> pushOne(http, f, server, binhost, token)));
            List<Outcome> out = new ArrayList<>();
            for (Future<Outcome> fu : futures) {
                try {
                    out.add(fu.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StageforgeException("push interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new StageforgeException("push: " + e.getCause().getMessage(), e.getCause());
                }
            }
            return new Result(out);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Outcome pushOne(HttpClient http, Path file, URI server, String binhost, String token) throws IOException {
        String category;
        String pf;
        String buildId;
        try (BinaryPackage p = BinaryPackage.open(file)) {
            PackageMetadata md = p.metadata();
            category = md.get("CATEGORY");
            pf = md.get("PF");
            buildId = md.get("BUILD_ID");
        } catch (StageforgeException e) {
            return new Outcome(file, null, 0, e.getMessage());
        }
        if (category == null || pf == null) return new Outcome(file, null, 0, file + ": metadata lacks CATEGORY or PF");
        if (buildId == null) {
            Matcher m = BUILD_ID.matcher(file.getFileName().toString());
            buildId = m.matches() ? m.group(1) : "1";
        }
        String name = category + "/" + pf + "-" + buildId + ".gpkg.tar";
        String sha = sha256(file);
        URI uri = URI.create(server.toString().replaceAll("/+$", "") + "/binhost/" + enc(binhost) + "/upload/"
                + enc(category) + "/" + enc(pf + "-" + buildId + ".gpkg.tar"));
        HttpRequest req = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .PUT(HttpRequest.BodyPublishers.ofFile(file)).build();
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(file, name, 0, "interrupted");
        } catch (IOException e) {
            return new Outcome(file, name, 0, name + ": " + e.getMessage());
        }
        String body = r.body().strip();
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            return new Outcome(file, name, r.statusCode(), name + ": HTTP " + r.statusCode() + ": " + body);
        }
        if (!body.startsWith(sha + " ")) {
            return new Outcome(file, name, 0, name + ": the server stored other bytes than sent (answer '" + body + "', sent sha256 " + sha + ")");
        }
        return new Outcome(file, name, r.statusCode(), null);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String sha256(Path f) throws IOException {
        MessageDigest md = Hashes.of("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

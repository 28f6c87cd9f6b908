package org.stageforge.server.distfiles;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.Digests;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code stageforge distfiles push}: uploads files to a server's distfiles mirror under their file names,
 * sending their size, BLAKE2B and SHA512 so the server refuses bytes damaged on the way, and checks that each
 * answer names the SHA-256 of the bytes sent.
 */
public final class DistfilesPush {
    /** One file's outcome: {@code status} the HTTP status (0 when none came), {@code message} the reason of a failure. */
    public record Outcome(Path file, String path, int status, String message) {
        public boolean ok() {
            return status == 200 || status == 201;
        }
    }

    /** All outcomes, in argument order. */
    public record Result(List<Outcome> outcomes) {
        public List<Outcome> failures() {
            return outcomes.stream().filter(o -> !o.ok()).toList();
        }

        /** 0; 4 when every failure is a digest refusal (damaged in transit); 3 for refused names; else 1. */
        public int exitCode() {
            if (failures().isEmpty()) return ExitCodes.OK;
            if (failures().stream().allMatch(o -> o.status() == 422)) return ExitCodes.VERIFY;
            if (failures().stream().allMatch(o -> o.status() == 400)) return ExitCodes.BAD_INPUT;
            return ExitCodes.FAILURE;
        }
    }

    private DistfilesPush() {}

    public static Result push(List<Path> files, URI server, String token) throws IOException {
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new StageforgeException(f + ": not a regular file", ExitCodes.NOT_FOUND, null);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        List<Outcome> out = new ArrayList<>();
        for (Path f : files) out.add(pushOne(http, f, server, token));
        return new Result(out);
    }

    private static Outcome pushOne(HttpClient http, Path file, URI server, String token) throws IOException {
        String name = file.getFileName().toString();
        Digests d = new Digests(List.of("BLAKE2B", "SHA512", "SHA256"));
        try (InputStream in = Files.newInputStream(file)) {
            d.consume(in);
        }
        Map<String, String> hex = d.hex();
        URI uri = URI.create(server.toString().replaceAll("/+$", "") + "/distfiles/upload/"
                + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
        HttpRequest req = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .header("X-Distfile-Size", Long.toString(d.size()))
                .header("X-Distfile-BLAKE2B", hex.get("BLAKE2B"))
                .header("X-Distfile-SHA512", hex.get("SHA512"))
                .PUT(HttpRequest.BodyPublishers.ofFile(file)).build();
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(file, null, 0, name + ": interrupted");
        } catch (IOException e) {
            return new Outcome(file, null, 0, name + ": " + e.getMessage());
        }
        String body = r.body().strip();
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            return new Outcome(file, null, r.statusCode(), name + ": HTTP " + r.statusCode() + ": " + body);
        }
        String sha = hex.get("SHA256");
        if (!body.startsWith(sha + " ")) {
            return new Outcome(file, null, 0, name + ": the server stored other bytes than sent (answer '" + body
                    + "', sent sha256 " + sha + ")");
        }
        return new Outcome(file, body.substring(sha.length() + 1), r.statusCode(), null);
    }
}

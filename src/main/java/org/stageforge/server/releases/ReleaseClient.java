package org.stageforge.server.releases;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.server.core.HttpRefusal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client side of release channels: {@code stageforge publish}, {@code promote}, {@code rollback} and
 * {@code release list} against a server.
 */
public final class ReleaseClient {
    private final URI server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    /** {@code token} may be null for reads. */
    public ReleaseClient(URI server, String token) {
        this.server = server;
        this.token = token;
    }

    /** The files a publish of {@code outputDir} sends, in order: upload name → local file. */
    public static Map<String, Path> releaseFiles(Path outputDir) throws IOException {
        Path sums = outputDir.resolve(ReleaseUpload.SUMS);
        if (!Files.isRegularFile(sums)) {
            throw new StageforgeException(outputDir + ": no " + ReleaseUpload.SUMS + " (not a build's output directory?)", ExitCodes.NOT_FOUND, null);
        }
        Map<String, String> listed;
        try {
            listed = ReleaseUpload.parseSums(Files.readAllBytes(sums));
        } catch (HttpRefusal r) {
            throw new StageforgeException(sums + ": " + r.getMessage(), ExitCodes.BAD_INPUT, null);
        }
        Map<String, Path> out = new LinkedHashMap<>();
        out.put(ReleaseUpload.SUMS, sums);
        Path sig = outputDir.resolve(ReleaseUpload.SIGNATURE);
        if (!Files.isRegularFile(sig) && !Files.isRegularFile(outputDir.resolve("SHA256SUMS.asc"))) {
            throw new StageforgeException(outputDir + ": no SHA256SUMS.gpg or SHA256SUMS.asc (an unsigned build cannot be published)",
                    ExitCodes.NOT_FOUND, null);
        }
        out.put(ReleaseUpload.SIGNATURE, Files.isRegularFile(sig) ? sig : outputDir.resolve("SHA256SUMS.asc"));
        for (String n : listed.keySet()) {
            Path f = outputDir.resolve(n);
            if (!Files.isRegularFile(f)) throw new StageforgeException(f + ": listed in SHA256SUMS but missing", ExitCodes.NOT_FOUND, null);
            out.put(n, f);
        }
        return out;
    }

    /**
     * Publishes a build's output directory to a channel: SHA256SUMS, its signature (an armored
     * {@code SHA256SUMS.asc} is sent as the binary {@code SHA256SUMS.gpg}), every file it lists, and the lock
     * when given; streamed as one tar body. {@code version} null: the server takes the JSON manifest's.
     */
    public Releases.Release publish(Path outputDir, String channel, String version, Path lock) throws IOException {
        Map<String, Path> files = releaseFiles(outputDir);
        if (lock != null && !Files.isRegularFile(lock)) throw new StageforgeException(lock + ": no such lock file", ExitCodes.NOT_FOUND, null);
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream pipe = new PipedOutputStream(in);
        Thread writer = new Thread(() -> {
            try (OutputStream o = pipe; TarArchiveOutputStream tar = new TarArchiveOutputStream(o)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (Map.Entry<String, Path> f : files.entrySet()) {
                    if (f.getValue().getFileName().toString().equals("SHA256SUMS.asc")) {
                        entry(tar, f.getKey(), dearmor(Files.readAllBytes(f.getValue())));
                    } else {
                        entry(tar, f.getKey(), f.getValue());
                    }
                }
                if (lock != null) entry(tar, ReleaseUpload.LOCK, lock);
                tar.finish();
            } catch (IOException e) {
                // the server sees a truncated tar and refuses it; the HTTP answer reports the failure
            }
        }, "release-upload");
        writer.setDaemon(true);
        writer.start();
        String q = version == null ? "" : "?version=" + enc(version);
        HttpRequest req = request("/releases/" + enc(channel) + "/publish" + q)
                .header("Content-Type", "application/x-tar")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> in)).build();
        try {
            return release(send(req, "publish to " + channel));
        } finally {
            writer.interrupt();
        }
    }

    private static void entry(TarArchiveOutputStream tar, String name, Path file) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(Files.size(file));
        e.setMode(0644);
        tar.putArchiveEntry(e);
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(tar);
        }
        tar.closeArchiveEntry();
    }

    private static void entry(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(data.length);
        e.setMode(0644);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static byte[] dearmor(byte[] armored) throws IOException {
        try (ArmoredInputStream ai = ArmoredInputStream.builder().build(new ByteArrayInputStream(armored))) {
            return ai.readAllBytes();
        }
    }

    /** Promotes release {@code version} (null: the current one) of channel {@code from} to {@code to}. */
    public Releases.Release promote(String from, String to, String version) throws IOException {
        String q = "?from=" + enc(from) + (version == null ? "" : "&version=" + enc(version));
        return release(send(request("/releases/" + enc(to) + "/promote" + q).POST(HttpRequest.BodyPublishers.noBody()).build(),
                "promote " + from + " to " + to));
    }

    /** Rolls a channel back to release {@code version} (null: the one before the current). */
    public Releases.Release rollback(String channel, String version) throws IOException {
        String q = version == null ? "" : "?version=" + enc(version);
        return release(send(request("/releases/" + enc(channel) + "/rollback" + q).POST(HttpRequest.BodyPublishers.noBody()).build(),
                "rollback of " + channel));
    }

    /** The JSON listing: every channel ({@code /releases/index.json}) or one ({@code /releases/C/index.json}). */
    public JsonNode list(String channel) throws IOException {
        String path = channel == null ? "/releases/index.json" : "/releases/" + enc(channel) + "/index.json";
        return ReleaseResource.JSON.readTree(send(request(path).GET().build(), "listing"));
    }

    /** The states of the channels ({@code channel} null: all), for printing. */
    public List<JsonNode> states(String channel) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (channel != null) {
            out.add(list(channel));
            return out;
        }
        for (JsonNode c : list(null).path("channels")) out.add(list(c.path("channel").asText()));
        return out;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.toString().replaceAll("/+$", "") + path));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private String send(HttpRequest req, String what) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException(what + ": interrupted", e);
        } catch (IOException e) {
            throw new StageforgeException(what + ": " + req.uri().getHost() + ":" + req.uri().getPort() + ": " + e, ExitCodes.FAILURE, e);
        }
        int s = r.statusCode();
        if (s == 200 || s == 201) return r.body();
        int code = switch (s) {
            case 400 -> ExitCodes.BAD_INPUT;
            case 404 -> ExitCodes.NOT_FOUND;
            case 422 -> ExitCodes.VERIFY;
            default -> ExitCodes.FAILURE;
        };
        throw new StageforgeException(what + ": HTTP " + s + ": " + r.body().strip(), code, null);
    }

    private static Releases.Release release(String json) throws IOException {
        return ReleaseResource.JSON.readValue(json, Releases.Release.class);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

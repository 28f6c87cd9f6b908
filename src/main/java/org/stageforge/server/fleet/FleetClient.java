package org.stageforge.server.fleet;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/** The administration side of {@code /fleet/} over HTTP, for {@code stageforge fleet …}. */
public final class FleetClient {
    private final URI server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    public FleetClient(URI server, String token) {
        this.server = URI.create(server.toString().replaceAll("/+$", "") + "/");
        this.token = token;
    }

    /** Creates or changes a group; {@code version} (nullable) pins it to a release. */
    public String setGroup(String group, String channel, String version) throws IOException {
        Map<String, String> q = new TreeMap<>(Map.of("channel", channel));
        if (version != null) q.put("version", version);
        return call("PUT", "groups/" + seg(group), q, null);
    }

    /** Registers a machine; the answer is its token. */
    public String addMachine(String id, String group) throws IOException {
        return call("PUT", "machines/" + seg(id), Map.of("group", group), null).strip();
    }

    public String machines() throws IOException {
        return call("GET", "machines", Map.of(), null);
    }

    /** Sets a configuration file ({@code content} non-null) or deletes it. */
    public String config(String kind, String owner, String path, byte[] content, String mode) throws IOException {
        StringJoiner p = new StringJoiner("/");
        for (String s : path.replaceFirst("^/+", "").split("/", -1)) p.add(seg(s));
        Map<String, String> q = mode == null ? Map.of() : Map.of("mode", mode);
        return call(content == null ? "DELETE" : "PUT", "config/" + seg(kind) + "/" + seg(owner) + "/" + p, q, content);
    }

    public String startRollout(String group, String version, int canary, String steps, long intervalSeconds) throws IOException {
        Map<String, String> q = new TreeMap<>(Map.of("group", group, "version", version, "canary", String.valueOf(canary),
                "interval", String.valueOf(intervalSeconds)));
        if (steps != null) q.put("steps", steps);
        return call("POST", "rollouts", q, null);
    }

    public String rollout(String id) throws IOException {
        return call("GET", "rollouts/" + seg(id), Map.of(), null);
    }

    public String halt(String id, String reason) throws IOException {
        return call("POST", "rollouts/" + seg(id) + "/halt", reason == null ? Map.of() : Map.of("reason", reason), null);
    }

    private String call(String method, String path, Map<String, String> query, byte[] body) throws IOException {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        new TreeMap<>(query).forEach((k, v) -> q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        URI uri = server.resolve("fleet/" + path + q);
        HttpRequest req = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException e) {
            throw new StageforgeException(uri + ": " + e.getMessage(), ExitCodes.FAILURE, e);
        }
        if (r.statusCode() / 100 == 2) return r.body();
        int code = switch (r.statusCode()) {
            case 400, 413 -> ExitCodes.BAD_INPUT;
            case 404 -> ExitCodes.NOT_FOUND;
            default -> ExitCodes.FAILURE;
        };
        throw new StageforgeException(method + " " + uri.getPath() + ": " + r.statusCode() + " " + r.body().strip(), code, null);
    }

    private static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

package org.stageforge.server.binhost;

import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A server on loopback over a temporary data directory, and curl to talk to it. */
final class TestServer implements AutoCloseable {
    final Path data;
    final ServerContext ctx;
    final Binhosts binhosts;
    final Server server;

    TestServer(Path data, long maxUpload) throws IOException {
        this.data = data;
        ctx = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0).withMaxUploadBytes(maxUpload), Clock.systemUTC());
        binhosts = new Binhosts(ctx);
        server = Server.start(ctx, List.of(new BinhostResource(binhosts)));
    }

    URI uri() {
        return server.uri();
    }

    String url(String path) {
        return server.uri() + path;
    }

    String token(String... scopes) {
        return ctx.tokens().create("test", List.of(scopes)).secret();
    }

    /** What a refusal must leave unchanged: every blob file and every view pointer. */
    String state() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(data.resolve("blobs"))) {
            s.filter(Files::isRegularFile).map(p -> data.relativize(p).toString()).sorted().forEach(out::add);
        }
        try (Stream<Path> s = Files.list(data.resolve("tmp"))) {
            s.map(p -> "tmp: " + p.getFileName()).forEach(out::add);
        }
        out.addAll(ctx.db().query("SELECT name || ' ' || manifest || ' ' || generation FROM views ORDER BY name", rs -> rs.getString(1)));
        return String.join("\n", out);
    }

    /** A curl answer: status, headers (lower-case names) and body. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** Runs curl with {@code args} (the URL among them) and returns what came back. */
    static Answer curl(Path tmp, String... args) throws IOException, InterruptedException {
        Path head = Files.createTempFile(tmp, "h", ".txt");
        Path body = Files.createTempFile(tmp, "b", ".bin");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-D", head.toString(), "-o", body.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("curl " + String.join(" ", args) + ": " + out);
        List<String> lines = Files.readAllLines(head);
        // the last response's block (after a 100 Continue)
        int start = 0;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("HTTP/")) start = i;
        int status = Integer.parseInt(lines.get(start).split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (String l : lines.subList(start + 1, lines.size())) {
            int c = l.indexOf(':');
            if (c > 0) headers.put(l.substring(0, c).toLowerCase(java.util.Locale.ROOT), l.substring(c + 1).strip());
        }
        return new Answer(status, headers, Files.readAllBytes(body));
    }

    @Override
    public void close() {
        server.close();
    }
}

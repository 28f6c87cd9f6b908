package org.stageforge.server;

import org.stageforge.server.core.ServerContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What the server tests share: a real curl as the client, and the stored state a refused write must leave alone. */
public final class TestHttp {
    private TestHttp() {}

    /** A curl answer: status, headers (lower-case names) and body of the last response (after a 100 Continue). */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Runs curl with {@code args} (the URL among them), its header and body files in {@code tmp}. */
    public static Answer curl(Path tmp, String... args) throws IOException, InterruptedException {
        Path head = Files.createTempFile(tmp, "h", ".txt");
        Path body = Files.createTempFile(tmp, "b", ".bin");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-D", head.toString(), "-o", body.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("curl " + String.join(" ", args) + ": " + out);
        List<String> lines = Files.readAllLines(head);
        int start = 0;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("HTTP/")) start = i;
        int status = Integer.parseInt(lines.get(start).split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (String l : lines.subList(start + 1, lines.size())) {
            int c = l.indexOf(':');
            if (c > 0) headers.put(l.substring(0, c).toLowerCase(Locale.ROOT), l.substring(c + 1).strip());
        }
        return new Answer(status, headers, Files.readAllBytes(body));
    }

    /**
     * Every blob file, leftover temporary file and view pointer of the server's data directory, then the rows of
     * {@code queries} (each selecting one text column): what a refused write must leave unchanged.
     */
    public static String storedState(ServerContext ctx, Path data, String... queries) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(data.resolve("blobs"))) {
            s.filter(Files::isRegularFile).map(p -> data.relativize(p).toString()).sorted().forEach(out::add);
        }
        try (Stream<Path> s = Files.list(data.resolve("tmp"))) {
            s.map(p -> "tmp: " + p.getFileName()).sorted().forEach(out::add);
        }
        out.addAll(ctx.db().query("SELECT name || ' ' || manifest || ' ' || generation FROM views ORDER BY name", rs -> rs.getString(1)));
        for (String q : queries) out.addAll(ctx.db().query(q, rs -> rs.getString(1)));
        return String.join("\n", out);
    }
}

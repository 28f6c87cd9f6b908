package org.stageforge.server.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Append-only JSON lines, one per write request (accepted or refused): time, token id, action, object,
 * result. Each line goes out in one append, so several server processes can share the file.
 */
public final class AuditLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Clock clock;

    public AuditLog(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /** Records one write; {@code tokenId} is null when no valid token was given. */
    public void record(String tokenId, String action, String object, String result) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.ofEpochMilli(clock.millis()).toString());
        line.put("token", tokenId);
        line.put("action", action);
        line.put("object", object);
        line.put("result", result);
        try {
            byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot append to the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The newest lines that {@code keep} accepts, at most {@code max}, newest first. The file is read backwards
     * from its end, so a page showing recent writes costs what it shows, not the log's whole history; a line
     * that is not JSON (cut short by a crash mid-append) is passed over.
     */
    public List<JsonNode> newest(Predicate<JsonNode> keep, int max) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = ch.size();
            byte[] carry = new byte[0]; // the start of the line the previous block began inside
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            while (pos > 0 && out.size() < max) {
                int n = (int) Math.min(buf.capacity(), pos);
                pos -= n;
                buf.clear().limit(n);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) throw new IOException(file + " shrank while being read");
                }
                byte[] block = Arrays.copyOf(buf.array(), n + carry.length);
                System.arraycopy(carry, 0, block, n, carry.length);
                int end = block.length;
                for (int i = block.length - 1; i >= 0 && out.size() < max; i--) {
                    if (block[i] != '\n') continue;
                    add(block, i + 1, end, keep, out);
                    end = i;
                }
                carry = Arrays.copyOf(block, end);
            }
            if (pos == 0 && out.size() < max) add(carry, 0, carry.length, keep, out);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return out;
    }

    private static void add(byte[] b, int from, int to, Predicate<JsonNode> keep, List<JsonNode> out) {
        if (to <= from) return;
        JsonNode n;
        try {
            n = JSON.readTree(b, from, to - from);
        } catch (IOException e) {
            return;
        }
        if (n != null && n.isObject() && keep.test(n)) out.add(n);
    }
}

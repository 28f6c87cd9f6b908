package org.stageforge.server.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

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
}

package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The saved state of a build directory: one {@code state/<part>.json} per finished part, and
 * {@code state/root.json} saying which root part the root directory reflects ({@code clean} false while a root part
 * is changing it, so an interrupted change is never mistaken for a finished one). Every file is written to a
 * temporary name and renamed, so a kill at any moment leaves either the old or the new record.
 */
public final class StateStore {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** The root directory's condition: after root part {@code at} (null: empty) and whether that part finished. */
    public record RootStamp(String at, String fingerprint, boolean clean) {}

    private final Path dir;

    public StateStore(Path buildDir) {
        this.dir = buildDir.resolve("state");
    }

    public Path dir() {
        return dir;
    }

    public Optional<PartState> get(Part part) {
        return read(dir.resolve(part.id() + ".json"), PartState.class);
    }

    public void put(PartState s) {
        write(dir.resolve(s.part() + ".json"), s);
    }

    /**
     * Null when every file {@code s} records is there with its recorded sha256; else the first that is gone or
     * changed (a deleted output directory must make publish run again, not report it reused).
     */
    public static String missingOutput(PartState s) {
        for (Map.Entry<String, String> f : new java.util.TreeMap<>(s.files()).entrySet()) {
            Path p = Path.of(f.getKey());
            if (!Files.isRegularFile(p)) return p + " is gone";
            if (!Build.sha256(p).equals(f.getValue())) return p + " changed";
        }
        return null;
    }

    public boolean remove(Part part) {
        try {
            return Files.deleteIfExists(dir.resolve(part.id() + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every recorded part, in part order. */
    public Map<Part, PartState> all() {
        Map<Part, PartState> m = new LinkedHashMap<>();
        for (Part p : Part.values()) get(p).ifPresent(s -> m.put(p, s));
        return m;
    }

    public RootStamp root() {
        return read(dir.resolve("root.json"), RootStamp.class).orElse(new RootStamp(null, null, true));
    }

    public void root(RootStamp s) {
        write(dir.resolve("root.json"), s);
    }

    private <T> Optional<T> read(Path f, Class<T> type) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(f), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StageforgeException(f + ": unreadable state (" + e.getMessage() + "); remove it with 'stageforge states rm'",
                    ExitCodes.BAD_INPUT, e);
        }
    }

    private static void write(Path f, Object value) {
        try {
            writeAtomically(f, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code data} to a temporary file beside {@code f}, forces it to disk and renames it over {@code f}. */
    static void writeAtomically(Path f, byte[] data) throws IOException {
        // a bare file name ("stage.lock") has no parent until it is made absolute
        f = f.toAbsolutePath();
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(data));
            ch.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}

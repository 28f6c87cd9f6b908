package org.stageforge.archive;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Builds archives for tests and snapshots directory trees to prove nothing changed outside a target. */
public final class TarTestSupport {
    private TarTestSupport() {}

    public record Member(TarEntry entry, byte[] content) {}

    public static Member file(String path, String content) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        return new Member(TarEntry.of(path, TarEntry.Type.FILE, 0644, 0, 0, b.length, 1_000_000, ""), b);
    }

    public static Member dir(String path) {
        return new Member(TarEntry.of(path, TarEntry.Type.DIR, 0755, 0, 0, 0, 1_000_000, ""), new byte[0]);
    }

    public static Member symlink(String path, String target) {
        return new Member(TarEntry.of(path, TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 1_000_000, target), new byte[0]);
    }

    public static Member hardlink(String path, String target) {
        return new Member(TarEntry.of(path, TarEntry.Type.HARDLINK, 0644, 0, 0, 0, 1_000_000, target), new byte[0]);
    }

    public static byte[] tar(List<Member> members) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(out, -1)) {
            for (Member m : members) w.add(m.entry(), new ByteArrayInputStream(m.content()));
        }
        return out.toByteArray();
    }

    public static byte[] compress(Compression c, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var os = c.compress(out)) {
            os.write(data);
        }
        return out.toByteArray();
    }

    /** Every path under {@code dir} except below {@code exclude}, with type and size. */
    public static Map<String, String> snapshot(Path dir, Path exclude) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                if (p.startsWith(exclude) && !p.equals(exclude)) continue;
                String kind = Files.isSymbolicLink(p) ? "l:" + Files.readSymbolicLink(p)
                        : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "d"
                        : "f:" + Files.size(p) + ":" + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                out.put(dir.relativize(p).toString(), kind);
            }
        }
        return out;
    }
}

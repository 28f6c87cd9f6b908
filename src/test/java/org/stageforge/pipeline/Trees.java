package org.stageforge.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What a test compares to show that a command changed nothing outside its target. */
final class Trees {
    private Trees() {}

    /**
     * Every path under {@code dir} except those under {@code except}: type, mode and, for files, size, mtime and sha256
     * (a directory's mtime is left out: creating an excluded directory changes its parent's).
     */
    static Map<String, String> snapshot(Path dir, Path... except) throws IOException {
        Map<String, String> out = new TreeMap<>();
        List<Path> skip = Stream.of(except).map(p -> p.toAbsolutePath().normalize()).toList();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path abs = p.toAbsolutePath().normalize();
                if (skip.stream().anyMatch(abs::startsWith)) continue;
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
                String what;
                if (Files.isSymbolicLink(p)) what = "-> " + Files.readSymbolicLink(p);
                else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) what = Files.size(p) + " " + a.get("lastModifiedTime") + " " + TestStage.sha256(p);
                else what = "dir";
                out.put(dir.relativize(p).toString(), Integer.toOctalString((Integer) a.get("mode")) + " " + what);
            }
        }
        return out;
    }

    /** Relative path -> sha256 of every regular file under {@code dir} (contents only). */
    static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) out.put(dir.relativize(p).toString(), TestStage.sha256(p));
            }
        }
        return out;
    }

    /**
     * {@link #contents} of an output directory without the signature and its public key: each build directory signs
     * with a key of its own unless the spec names one.
     */
    static Map<String, String> artifacts(Path out) throws IOException {
        Map<String, String> m = contents(out);
        m.keySet().removeIf(n -> n.equals("SHA256SUMS.gpg") || n.endsWith(".pub.asc"));
        return m;
    }
}

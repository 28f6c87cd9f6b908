package org.stageforge.snapshot;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * An ebuild repository as a sorted list of members (directories, regular files, symlinks), {@code .git} left out at
 * every level; modes are normalized to what a checkout keeps (executable or not), so neither the umask nor the owner
 * of a checkout changes the digest or a snapshot made from it.
 */
public final class RepoTree {
    private RepoTree() {}

    public enum Type { DIR, FILE, SYMLINK }

    /** One member: path relative to the tree ('/'-separated), type, normalized mode, symlink target (else null). */
    public record Member(String path, Type type, int mode, String link) {}

    /**
     * When the tree was taken, as Gentoo's trees record it: {@code metadata/timestamp.x} (epoch first, written by
     * webrsync snapshots and {@code stageforge snapshot create}), else {@code metadata/timestamp.chk} (RFC 1123 date,
     * rsync mirrors and the git mirror). Empty when neither is there or readable.
     */
    public static java.util.OptionalLong timestamp(Path repo) {
        try {
            Path x = repo.resolve("metadata/timestamp.x");
            if (Files.isRegularFile(x)) {
                String[] f = Files.readString(x, StandardCharsets.UTF_8).strip().split("\\s+", 2);
                if (f[0].matches("[0-9]{1,12}")) return java.util.OptionalLong.of(Long.parseLong(f[0]));
            }
            Path chk = repo.resolve("metadata/timestamp.chk");
            if (Files.isRegularFile(chk)) {
                String line = Files.readString(chk, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
                return java.util.OptionalLong.of(java.time.ZonedDateTime.parse(line,
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond());
            }
        } catch (IOException | java.time.format.DateTimeParseException e) {
            // an unreadable stamp is no stamp: the caller falls back
        }
        return java.util.OptionalLong.empty();
    }

    /** Every member below {@code root} (not the root itself), parents before children, names sorted per directory. */
    public static List<Member> walk(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new StageforgeException(root + " is not a directory", ExitCodes.NOT_FOUND, null);
        }
        List<Member> out = new ArrayList<>();
        walk(root, "", out);
        return out;
    }

    private static void walk(Path dir, String prefix, List<Member> out) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
        for (Path p : children) {
            String name = p.getFileName().toString();
            if (name.equals(".git")) continue;
            String rel = prefix + name;
            if (Files.isSymbolicLink(p)) {
                out.add(new Member(rel, Type.SYMLINK, 0777, Files.readSymbolicLink(p).toString()));
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                out.add(new Member(rel, Type.DIR, 0755, null));
                walk(p, rel + "/", out);
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                boolean exec = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
                out.add(new Member(rel, Type.FILE, exec ? 0755 : 0644, null));
            } else {
                throw new StageforgeException(p + ": not a file, directory or symlink (a repository holds no other kind)",
                        ExitCodes.BAD_INPUT, null);
            }
        }
    }

    /**
     * sha256 over every member's path, type, normalized mode and content (symlink target), in walk order: the whole
     * tree a build reads (ebuilds, eclasses, files/, metadata/, profiles/), so changing any ebuild changes it.
     */
    public static String digest(Path root) throws IOException {
        MessageDigest md = org.stageforge.util.Hashes.of("SHA-256");
        byte[] buf = new byte[1 << 16];
        for (Member m : walk(root)) {
            // the size is hashed before the content, so no content can pass for a following member
            long size = m.type() == Type.FILE ? Files.size(root.resolve(m.path())) : 0;
            md.update((m.type().name().charAt(0) + " " + Integer.toOctalString(m.mode()) + " " + size + " " + m.path())
                    .getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            if (m.type() == Type.SYMLINK) {
                md.update(m.link().getBytes(StandardCharsets.UTF_8));
            } else if (m.type() == Type.FILE) {
                try (InputStream in = Files.newInputStream(root.resolve(m.path()))) {
                    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                }
            }
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

package org.stageforge.merge;

import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Removes an installed package from a root as Portage's unmerge does for depclean: its files, symlinks, fifos and
 * then its empty directories, leaving paths another installed package also owns and regular files whose content
 * no longer matches the recorded MD5 (modified files are kept, as Portage keeps them); then its VDB entry.
 * Used for depclean and for installed packages a soft blocker of a new one removes.
 */
public final class Unmerge {
    private Unmerge() {}

    /** Removes {@code pkg}; {@code installed} is every package of the root (their files are kept); {@code log} gets each removed path. */
    public static void run(Path root, VdbEntry pkg, List<VdbEntry> installed, Consumer<String> log) throws IOException {
        Set<String> others = new HashSet<>();
        for (VdbEntry e : installed) {
            if (e.cpv().equals(pkg.cpv())) continue;
            for (ContentsEntry c : e.contents()) others.add(c.path());
        }
        List<ContentsEntry> entries = pkg.contents().stream()
                .sorted(Comparator.comparing(ContentsEntry::path).reversed()).toList();
        for (ContentsEntry c : entries) {
            if (others.contains(c.path())) continue;
            Path p = inRoot(root, c.path());
            if (p == null) continue;
            switch (c.type()) {
                case DIR -> {
                    try {
                        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) Files.deleteIfExists(p);
                    } catch (DirectoryNotEmptyException keep) {
                        continue;
                    }
                }
                case OBJ -> {
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || !md5(p).equals(c.md5())) continue;
                    Files.delete(p);
                }
                default -> {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                    Files.deleteIfExists(p);
                }
            }
            log.accept(c.path());
        }
        Vdb.remove(root, pkg.cpv());
        log.accept(pkg.cpv());
    }

    /** The path inside the root, or null when a parent is a symbolic link (removing through it could escape). */
    private static Path inRoot(Path root, String abs) {
        Path p = root;
        String[] parts = abs.replaceFirst("^/+", "").split("/");
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() || parts[i].equals("..") || parts[i].equals(".")) return null;
            p = p.resolve(parts[i]);
            if (i < parts.length - 1 && Files.isSymbolicLink(p)) return null;
        }
        return p;
    }

    private static String md5(Path p) throws IOException {
        return HexFormat.of().formatHex(org.stageforge.util.Hashes.of("MD5").digest(Files.readAllBytes(p)));
    }
}

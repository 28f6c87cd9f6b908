package org.stageforge.merge;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves package paths to real locations inside a root with chroot semantics: directory symlinks already in the
 * root are followed (absolute targets restart at the root, {@code ..} stops there), so a link to {@code /} leads to
 * the root, never to the host. Parent resolutions are cached for the lifetime of one package's merge.
 */
final class RootView {
    private final Path root;
    private final Map<String, Path> dirs = new HashMap<>();

    RootView(Path root) {
        this.root = root.toAbsolutePath().normalize();
        dirs.put("", this.root);
    }

    Path root() {
        return root;
    }

    /** The real directory for relative directory path {@code rel} ("" for the root); it need not exist yet. */
    Path dir(String rel) {
        Path p = dirs.get(rel);
        if (p != null) return p;
        int slash = rel.lastIndexOf('/');
        Path parent = dir(slash < 0 ? "" : rel.substring(0, slash));
        Path cand = parent.resolve(rel.substring(slash + 1));
        if (Files.isSymbolicLink(cand)) {
            cand = RootFiles.resolve(root, root.relativize(cand).toString());
        }
        if (Files.exists(cand, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(cand, LinkOption.NOFOLLOW_LINKS)) {
            throw new StageforgeException("/" + rel + " is not a directory in " + root);
        }
        dirs.put(rel, cand);
        return cand;
    }

    /** The real location of relative path {@code rel}: its parent resolved, the last component kept as is. */
    Path real(String rel) {
        int slash = rel.lastIndexOf('/');
        return dir(slash < 0 ? "" : rel.substring(0, slash)).resolve(rel.substring(slash + 1));
    }

    /** {@code p} (inside the root) as a relative path without leading slash. */
    String rel(Path p) {
        return root.relativize(p).toString();
    }

    /** Forgets cached resolutions (after the directory structure changed outside this view's knowledge). */
    void clear() {
        dirs.clear();
        dirs.put("", root);
    }

    static boolean isDirOrLinkToDir(Path root, Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return true;
        if (!Files.isSymbolicLink(p)) return false;
        return Files.isDirectory(RootFiles.resolve(root, root.relativize(p).toString()), LinkOption.NOFOLLOW_LINKS);
    }
}

package org.stageforge.merge;

import org.stageforge.StageforgeException;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code stageforge installmask check|purge}: installed packages whose CONTENTS intersect an INSTALL_MASK (they
 * would install fewer files if merged again), and removal of those files so the root, CONTENTS and the file table
 * agree again. Masking follows the merge: masked non-directories, plus masked directories with nothing unmasked of
 * the package below them.
 */
public final class InstallMaskAudit {
    /** One installed package and its masked CONTENTS paths, in CONTENTS order. */
    public record Finding(String cpv, List<String> paths) {}

    private InstallMaskAudit() {}

    /** Packages of {@code root} with masked paths, sorted by CPV. */
    public static List<Finding> check(Path root, InstallMask mask) {
        List<Finding> out = new ArrayList<>();
        for (VdbEntry e : Vdb.open(root).installed()) {
            List<String> masked = masked(e.contents(), mask);
            if (!masked.isEmpty()) out.add(new Finding(e.cpv(), masked));
        }
        return out;
    }

    static List<String> masked(List<ContentsEntry> contents, InstallMask mask) {
        Set<String> keptDirs = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (ContentsEntry c : contents) {
            if (c.type() == ContentsEntry.Type.DIR) continue;
            if (mask.isMasked(c.path())) continue;
            for (int i = c.path().indexOf('/', 1); i > 0; i = c.path().indexOf('/', i + 1)) keptDirs.add(c.path().substring(0, i));
        }
        for (ContentsEntry c : contents) {
            boolean dir = c.type() == ContentsEntry.Type.DIR;
            if (dir ? mask.isMasked(c.path() + "/") && !keptDirs.contains(c.path()) : mask.isMasked(c.path())) {
                out.add(c.path());
            }
        }
        return out;
    }

    /**
     * Removes the masked paths of every package from {@code root} (directories only when empty) and rewrites their
     * CONTENTS and the file table. Returns what was dropped from CONTENTS.
     */
    public static List<Finding> purge(Path root, InstallMask mask) {
        List<Finding> findings = check(root, mask);
        RootView view = new RootView(root);
        FileTable table = FileTable.load(root);
        boolean hadTable = FileTable.exists(root);
        try {
            for (Finding f : findings) {
                VdbEntry e = Vdb.open(root).get(f.cpv()).orElseThrow();
                Set<String> drop = new HashSet<>(f.paths());
                List<String> dirs = new ArrayList<>();
                for (ContentsEntry c : e.contents()) {
                    if (!drop.contains(c.path())) continue;
                    if (c.type() == ContentsEntry.Type.DIR) {
                        dirs.add(c.path());
                        continue;
                    }
                    String k = OwnerIndex.key(view, c.path());
                    if (k == null) continue;
                    Path p = view.root().resolve(k);
                    if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.delete(p);
                    }
                    table.remove(k);
                }
                dirs.sort((a, b) -> b.compareTo(a));
                for (String d : dirs) {
                    String k = OwnerIndex.key(view, d);
                    if (k == null) continue;
                    Path p = view.root().resolve(k);
                    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                    try {
                        Files.delete(p);
                        table.remove(k);
                    } catch (DirectoryNotEmptyException ignored) {
                        // holds files of other packages or the admin's: keep the directory, drop it from CONTENTS
                    }
                }
                VdbEntry.Builder b = VdbEntry.builder(e.category(), e.pf());
                e.files().forEach(b::file);
                b.contents(e.contents().stream().filter(c -> !drop.contains(c.path())).toList());
                Vdb.write(root, b.build());
            }
        } catch (IOException ex) {
            throw new StageforgeException("installmask purge in " + root + " failed: " + ex.getMessage(), ex);
        }
        if (hadTable) table.save(root);
        return findings;
    }
}

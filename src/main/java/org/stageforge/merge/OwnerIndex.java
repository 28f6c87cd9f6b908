package org.stageforge.merge;

import org.stageforge.StageforgeException;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which installed package owns each non-directory path of a root (per the VDB's CONTENTS), keyed by the real
 * location inside the root, so {@code /lib/x} and {@code /usr/lib/x} are the same file behind a {@code lib} symlink.
 */
final class OwnerIndex {
    private final Map<String, String> owners = new HashMap<>();

    static OwnerIndex load(Path root, Vdb vdb) {
        OwnerIndex idx = new OwnerIndex();
        RootView view = new RootView(root);
        for (VdbEntry e : vdb.installed()) idx.add(view, e.cpv(), e.contents());
        return idx;
    }

    void add(RootView view, String cpv, List<ContentsEntry> contents) {
        for (ContentsEntry c : contents) {
            if (c.type() == ContentsEntry.Type.DIR) continue;
            String k = key(view, c.path());
            if (k != null) owners.put(k, cpv);
        }
    }

    void remove(RootView view, String cpv, List<ContentsEntry> contents) {
        for (ContentsEntry c : contents) {
            if (c.type() == ContentsEntry.Type.DIR) continue;
            String k = key(view, c.path());
            if (k != null) owners.remove(k, cpv);
        }
    }

    String owner(String realRel) {
        return owners.get(realRel);
    }

    static String key(RootView view, String absPath) {
        String rel = absPath.replaceAll("^/+", "");
        if (rel.isEmpty()) return null;
        try {
            return view.rel(view.real(rel));
        } catch (StageforgeException e) {
            return null; // a parent is no longer a directory: the recorded path cannot exist
        }
    }
}

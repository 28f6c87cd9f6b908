package org.stageforge.merge;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What to merge, in order, and how.
 *
 * @param packages binary packages in merge order
 * @param options  settings for the whole batch
 */
public record MergeRequest(List<Item> packages, MergeOptions options) {

    /**
     * One package to merge.
     *
     * @param binpkg    the XPAK or GPKG file
     * @param worldAtom the atom to add to the world file (Portage records only explicitly requested packages), or null
     */
    public record Item(Path binpkg, String worldAtom) {
        public Item {
            Objects.requireNonNull(binpkg);
        }
    }

    public MergeRequest {
        packages = List.copyOf(packages);
        Objects.requireNonNull(options);
    }
}

package org.stageforge.merge;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to merge, in order, and how.
 *
 * @param packages binary packages in merge order
 * @param options  settings for the whole batch
 * @param listener told of each package once it is merged (progress), never null
 */
public record MergeRequest(List<Item> packages, MergeOptions options, Consumer<MergeEngine.PackageResult> listener) {

    public MergeRequest(List<Item> packages, MergeOptions options) {
        this(packages, options, r -> { });
    }

    /**
     * One package to merge.
     *
     * @param binpkg    the XPAK or GPKG file
     * @param worldAtom the atom to add to the world file (Portage records only explicitly requested packages), or null
     * @param md5       the file's MD5 (lower-case hex) when the caller already verified it, as a fetch does, or null:
     *                  the merge then computes it (BINPKGMD5) from the reads of the image
     */
    public record Item(Path binpkg, String worldAtom, String md5) {
        public Item(Path binpkg, String worldAtom) {
            this(binpkg, worldAtom, null);
        }

        public Item {
            Objects.requireNonNull(binpkg);
            if (md5 != null && !md5.matches("[0-9a-f]{32}")) throw new IllegalArgumentException("bad md5 " + md5);
        }
    }

    public MergeRequest {
        packages = List.copyOf(packages);
        Objects.requireNonNull(options);
        Objects.requireNonNull(listener);
    }
}

package org.stageforge.resolve;

import org.stageforge.binhost.BinhostClient;
import org.stageforge.index.PackagesIndex;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One binhost as the resolver sees it: a display name (its URL or directory, used in plans and
 * messages) and its {@code Packages} index. Binhosts are consulted in the order given.
 */
public record Binhost(String name, PackagesIndex index) {
    public Binhost {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(index, "index");
    }

    /**
     * Reads a local binhost directory's index, or fetches a remote one (conditional GET, cached
     * under {@code cacheDir}).
     */
    public static Binhost load(String urlOrDir, Path cacheDir) {
        try (BinhostClient client = BinhostClient.open(urlOrDir, BinhostClient.Options.of(cacheDir))) {
            BinhostClient.IndexFetch fetch = client.fetchIndex();
            return new Binhost(client.source().display(), PackagesIndex.read(fetch.file()));
        }
    }
}

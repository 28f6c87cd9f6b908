package org.stageforge.resolve;

import org.stageforge.binhost.BinhostClient;
import org.stageforge.binhost.BinhostSource;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One binhost as the resolver sees it: a display name (its URL or directory, used in plans and
 * messages), its {@code Packages} index and, for a local directory, that directory. Binhosts are
 * consulted in the order given.
 *
 * @param localDir the directory holding the packages when the binhost is local (Portage's
 *                 PKGDIR), else null
 */
public record Binhost(String name, PackagesIndex index, Path localDir) {
    public Binhost {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(index, "index");
    }

    /** A binhost known only by its index (remote, or built in memory). */
    public Binhost(String name, PackagesIndex index) {
        this(name, index, null);
    }

    /**
     * Reads a local binhost directory's index, or fetches a remote one (conditional GET, cached
     * under {@code cacheDir}).
     */
    public static Binhost load(String urlOrDir, Path cacheDir) {
        try (BinhostClient client = BinhostClient.open(urlOrDir, BinhostClient.Options.of(cacheDir))) {
            BinhostClient.IndexFetch fetch = client.fetchIndex();
            Path local = client.source() instanceof BinhostSource.Local l ? l.dir() : null;
            return new Binhost(client.source().display(), PackagesIndex.read(fetch.file()), local);
        }
    }

    /**
     * True when the entry's file is in the local directory (a PATH leading outside it counts as
     * missing); always true for a remote binhost, whose files are only seen when fetched.
     */
    boolean hasFile(PackagesEntry e) {
        if (localDir == null) return true;
        Path base = localDir.toAbsolutePath().normalize();
        Path p = base.resolve(e.path()).normalize();
        return p.startsWith(base) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }
}

package org.stageforge.resolve;

import org.stageforge.index.PackagesEntry;
import org.stageforge.profile.PortageConfig;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;
import org.stageforge.vdb.WorldFile;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What to resolve.
 *
 * @param config    the Portage configuration (profile and user layer): visibility and USE
 * @param binhosts  binhost indexes, in priority order
 * @param installed the packages installed in the target root (empty for a new root)
 * @param world     the root's world file (for {@code @selected} / {@code @world})
 * @param targets   arguments: atoms ({@code cat/pkg}, {@code >=cat/pkg-1}, a bare {@code pkg}) and
 *                  sets ({@code @system}, {@code @world}, {@code @selected}, user sets)
 * @param options   emerge-like options
 * @param repositories ebuild repositories (main repository and overlays): their ebuilds are candidates
 *                  next to the binhosts' packages, planned to be built from source (as
 *                  {@code emerge --usepkg} without {@code --usepkgonly}); empty for binary-only resolution
 * @param binaryFilter which binhost packages may be used at all (the build-key check); others are
 *                  rebuilt from source when an ebuild exists
 */
public record ResolveRequest(PortageConfig config, List<Binhost> binhosts, List<VdbEntry> installed,
                             WorldFile world, List<String> targets, Options options,
                             List<EbuildRepository> repositories, BinaryFilter binaryFilter) {

    /** Decides whether a binhost's package may be used (e.g. its recorded build key is the current one). */
    @FunctionalInterface
    public interface BinaryFilter {
        /** Every binary package is usable. */
        BinaryFilter ALL = (binhost, entry) -> true;

        boolean accepts(Binhost binhost, PackagesEntry entry);
    }

    /**
     * Which packages are built from source when ebuild repositories are given.
     *
     * @param mode  {@link Mode#MISSING}: only what no binhost offers with the configured USE and an
     *              accepted build key; {@link Mode#ALL}: everything; {@link Mode#LISTED}: the packages
     *              matching {@code atoms}, and the missing ones
     * @param atoms for {@link Mode#LISTED}: atoms ({@code cat/pkg}, {@code =cat/pkg-1}, {@code cat/pkg:2});
     *              checked when resolving
     */
    public record FromSource(Mode mode, List<String> atoms) {
        public enum Mode { MISSING, ALL, LISTED }

        public static final FromSource MISSING = new FromSource(Mode.MISSING, List.of());
        public static final FromSource ALL = new FromSource(Mode.ALL, List.of());

        public FromSource {
            Objects.requireNonNull(mode, "mode");
            atoms = List.copyOf(atoms);
        }

        /** These packages from source, the rest as {@link #MISSING}. */
        public static FromSource listed(List<String> atoms) {
            return new FromSource(Mode.LISTED, atoms);
        }
    }

    /**
     * Options mirroring emerge's.
     *
     * @param nodeps           {@code --nodeps}: only the targets
     * @param oneshot          {@code --oneshot}: nothing goes to the world file
     * @param noreplace        {@code --noreplace}: targets already installed and satisfied are skipped
     * @param binpkgRespectUse {@code --binpkg-respect-use}: only binary instances whose USE equals
     *                         the configured USE are usable. Portage leaves it off with
     *                         {@code --usepkgonly} unless given, and so does {@link #DEFAULT}.
     *                         Always on when ebuild repositories are given: a source build makes
     *                         the configured USE reachable (Portage's default with {@code --usepkg})
     * @param idependInRoot    merge IDEPEND into the target root too. Portage resolves IDEPEND in
     *                         the running root (the host, for {@code --root} installs), which
     *                         stageforge does not manage, so by default IDEPEND only orders
     *                         packages already in the plan and the rest is reported as a warning;
     *                         set this for a root that will also run the package manager's
     *                         install phases itself (Portage with ROOT=/)
     * @param fromSource       with ebuild repositories: which packages to build from source
     */
    public record Options(boolean nodeps, boolean oneshot, boolean noreplace, boolean binpkgRespectUse,
                          boolean idependInRoot, FromSource fromSource) {
        public static final Options DEFAULT = new Options(false, false, false, false, false);

        public Options {
            fromSource = fromSource == null ? FromSource.MISSING : fromSource;
        }

        public Options(boolean nodeps, boolean oneshot, boolean noreplace, boolean binpkgRespectUse, boolean idependInRoot) {
            this(nodeps, oneshot, noreplace, binpkgRespectUse, idependInRoot, FromSource.MISSING);
        }

        public Options(boolean nodeps, boolean oneshot, boolean noreplace, boolean binpkgRespectUse) {
            this(nodeps, oneshot, noreplace, binpkgRespectUse, false);
        }

        public Options withNodeps(boolean b) { return new Options(b, oneshot, noreplace, binpkgRespectUse, idependInRoot, fromSource); }

        public Options withOneshot(boolean b) { return new Options(nodeps, b, noreplace, binpkgRespectUse, idependInRoot, fromSource); }

        public Options withNoreplace(boolean b) { return new Options(nodeps, oneshot, b, binpkgRespectUse, idependInRoot, fromSource); }

        public Options withBinpkgRespectUse(boolean b) { return new Options(nodeps, oneshot, noreplace, b, idependInRoot, fromSource); }

        public Options withIdependInRoot(boolean b) { return new Options(nodeps, oneshot, noreplace, binpkgRespectUse, b, fromSource); }

        public Options withFromSource(FromSource f) { return new Options(nodeps, oneshot, noreplace, binpkgRespectUse, idependInRoot, f); }
    }

    public ResolveRequest {
        Objects.requireNonNull(config, "config");
        binhosts = List.copyOf(binhosts);
        installed = List.copyOf(installed);
        world = world == null ? new WorldFile(List.of(), List.of()) : world;
        targets = List.copyOf(targets);
        options = options == null ? Options.DEFAULT : options;
        repositories = repositories == null ? List.of() : List.copyOf(repositories);
        binaryFilter = binaryFilter == null ? BinaryFilter.ALL : binaryFilter;
    }

    /** Binary-only resolution (no ebuild repositories, every binary package usable). */
    public ResolveRequest(PortageConfig config, List<Binhost> binhosts, List<VdbEntry> installed, WorldFile world,
                          List<String> targets, Options options) {
        this(config, binhosts, installed, world, targets, options, List.of(), BinaryFilter.ALL);
    }

    /** The same request with ebuild repositories as candidates too. */
    public ResolveRequest withRepositories(List<EbuildRepository> repos) {
        return new ResolveRequest(config, binhosts, installed, world, targets, options, repos, binaryFilter);
    }

    /** The same request with a filter on binhost packages (the build-key check). */
    public ResolveRequest withBinaryFilter(BinaryFilter filter) {
        return new ResolveRequest(config, binhosts, installed, world, targets, options, repositories, filter);
    }

    /** Resolution for an existing root: its installed packages (VDB) and world files are read. */
    public static ResolveRequest forRoot(PortageConfig config, List<Binhost> binhosts, Path root, List<String> targets,
                                         Options options) {
        return new ResolveRequest(config, binhosts, Vdb.open(root).installed(), WorldFile.read(root), targets, options);
    }

    /** An empty root. */
    public static ResolveRequest of(PortageConfig config, List<Binhost> binhosts, List<String> targets,
                                    Options options) {
        return new ResolveRequest(config, binhosts, List.of(), null, targets, options);
    }
}

package org.stageforge.resolve;

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
 */
public record ResolveRequest(PortageConfig config, List<Binhost> binhosts, List<VdbEntry> installed,
                             WorldFile world, List<String> targets, Options options) {

    /**
     * Options mirroring emerge's.
     *
     * @param nodeps           {@code --nodeps}: only the targets
     * @param oneshot          {@code --oneshot}: nothing goes to the world file
     * @param noreplace        {@code --noreplace}: targets already installed and satisfied are skipped
     * @param binpkgRespectUse {@code --binpkg-respect-use}: only binary instances whose USE equals
     *                         the configured USE are usable. Portage leaves it off with
     *                         {@code --usepkgonly} unless given, and so does {@link #DEFAULT}.
     * @param idependInRoot    merge IDEPEND into the target root too. Portage resolves IDEPEND in
     *                         the running root (the host, for {@code --root} installs), which
     *                         stageforge does not manage, so by default IDEPEND only orders
     *                         packages already in the plan and the rest is reported as a warning;
     *                         set this for a root that will also run the package manager's
     *                         install phases itself (Portage with ROOT=/)
     */
    public record Options(boolean nodeps, boolean oneshot, boolean noreplace, boolean binpkgRespectUse,
                          boolean idependInRoot) {
        public static final Options DEFAULT = new Options(false, false, false, false, false);

        public Options(boolean nodeps, boolean oneshot, boolean noreplace, boolean binpkgRespectUse) {
            this(nodeps, oneshot, noreplace, binpkgRespectUse, false);
        }

        public Options withNodeps(boolean b) { return new Options(b, oneshot, noreplace, binpkgRespectUse, idependInRoot); }

        public Options withOneshot(boolean b) { return new Options(nodeps, b, noreplace, binpkgRespectUse, idependInRoot); }

        public Options withNoreplace(boolean b) { return new Options(nodeps, oneshot, b, binpkgRespectUse, idependInRoot); }

        public Options withBinpkgRespectUse(boolean b) { return new Options(nodeps, oneshot, noreplace, b, idependInRoot); }

        public Options withIdependInRoot(boolean b) { return new Options(nodeps, oneshot, noreplace, binpkgRespectUse, b); }
    }

    public ResolveRequest {
        Objects.requireNonNull(config, "config");
        binhosts = List.copyOf(binhosts);
        installed = List.copyOf(installed);
        world = world == null ? new WorldFile(List.of(), List.of()) : world;
        targets = List.copyOf(targets);
        options = options == null ? Options.DEFAULT : options;
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

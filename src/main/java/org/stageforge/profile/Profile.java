package org.stageforge.profile;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A loaded profile stack: its nodes in Portage's order (parents depth-first, then the node) and
 * what each node's files hold, not yet evaluated (see {@link PortageConfig}).
 */
public final class Profile {
    /**
     * Files of one node, parsed as Portage reads them. The atom-keyed per-package files
     * (package.use*, package.accept_keywords, package.keywords) are read on first use, since only
     * per-package queries need them.
     */
    public static final class NodeData {
        private final ProfileNode node;
        private final Map<String, String> makeDefaults;
        private final List<Entry> packages;
        private final List<Entry> packageMask;
        private final List<Entry> packageUnmask;
        private final List<Entry> useMask;
        private final List<Entry> useForce;
        private final List<Entry> useStableMask;
        private final List<Entry> useStableForce;
        private final List<Entry> packageProvided;
        private final Function<String, List<Entry>> dictReader;
        private final Map<String, List<Entry>> dicts = new ConcurrentHashMap<>();

        NodeData(ProfileNode node, Map<String, String> makeDefaults, List<Entry> packages, List<Entry> packageMask,
                 List<Entry> packageUnmask, List<Entry> useMask, List<Entry> useForce, List<Entry> useStableMask,
                 List<Entry> useStableForce, List<Entry> packageProvided, Function<String, List<Entry>> dictReader) {
            this.node = node;
            this.makeDefaults = Map.copyOf(makeDefaults);
            this.packages = List.copyOf(packages);
            this.packageMask = List.copyOf(packageMask);
            this.packageUnmask = List.copyOf(packageUnmask);
            this.useMask = List.copyOf(useMask);
            this.useForce = List.copyOf(useForce);
            this.useStableMask = List.copyOf(useStableMask);
            this.useStableForce = List.copyOf(useStableForce);
            this.packageProvided = List.copyOf(packageProvided);
            this.dictReader = dictReader;
        }

        private List<Entry> dict(String file) {
            return dicts.computeIfAbsent(file, f -> List.copyOf(dictReader.apply(f)));
        }

        public ProfileNode node() { return node; }
        /** make.defaults as read (expanded), in file order. */
        public Map<String, String> makeDefaults() { return makeDefaults; }
        public List<Entry> packages() { return packages; }
        public List<Entry> packageMask() { return packageMask; }
        public List<Entry> packageUnmask() { return packageUnmask; }
        public List<Entry> useMask() { return useMask; }
        public List<Entry> useForce() { return useForce; }
        public List<Entry> useStableMask() { return useStableMask; }
        public List<Entry> useStableForce() { return useStableForce; }
        public List<Entry> packageProvided() { return packageProvided; }
        public List<Entry> packageUse() { return dict("package.use"); }
        public List<Entry> packageUseMask() { return dict("package.use.mask"); }
        public List<Entry> packageUseForce() { return dict("package.use.force"); }
        public List<Entry> packageUseStableMask() { return dict("package.use.stable.mask"); }
        public List<Entry> packageUseStableForce() { return dict("package.use.stable.force"); }
        public List<Entry> packageAcceptKeywords() { return dict("package.accept_keywords"); }
        public List<Entry> packageKeywords() { return dict("package.keywords"); }
    }

    private final String name;
    private final List<NodeData> nodes;
    private final RepoMap repos;
    private final Map<String, String> globals;
    private final Map<String, String> expandAfterDefaults;
    private final List<String> warnings;

    Profile(String name, List<NodeData> nodes, RepoMap repos, Map<String, String> globals,
            Map<String, String> expandAfterDefaults, List<String> warnings) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.repos = repos;
        this.globals = Map.copyOf(globals);
        this.expandAfterDefaults = Map.copyOf(expandAfterDefaults);
        this.warnings = warnings;
    }

    /** The name of the profile that was loaded (its node name; the user's profile dir is not it). */
    public String name() {
        return name;
    }

    public List<NodeData> nodes() {
        return nodes;
    }

    public List<ProfileNode> chain() {
        return nodes.stream().map(NodeData::node).toList();
    }

    /** Node names as Portage lists them (relative to the repository's profiles/). */
    public List<String> chainNames() {
        return nodes.stream().map(n -> n.node().name()).toList();
    }

    public RepoMap repos() {
        return repos;
    }

    /** The built-in defaults (make.globals) the stack was evaluated over. */
    public Map<String, String> globals() {
        return globals;
    }

    /** Variables visible to expansion after the last make.defaults (for make.conf, as Portage does). */
    public Map<String, String> expandAfterDefaults() {
        return expandAfterDefaults;
    }

    /** What Portage would only warn about (invalid atoms or flags it skips, deprecated nodes...). */
    public List<String> warnings() {
        synchronized (warnings) {
            return List.copyOf(warnings);
        }
    }
}

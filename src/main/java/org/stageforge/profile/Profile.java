package org.stageforge.profile;

import java.util.List;
import java.util.Map;

/**
 * A loaded profile stack: its nodes in Portage's order (parents depth-first, then the node) and
 * what each node's files hold, not yet evaluated (see {@link PortageConfig}).
 */
public final class Profile {
    /** Files of one node, parsed as Portage reads them. */
    public record NodeData(ProfileNode node, Map<String, String> makeDefaults, List<Entry> packages,
                           List<Entry> packageMask, List<Entry> packageUnmask,
                           List<Entry> useMask, List<Entry> useForce, List<Entry> useStableMask,
                           List<Entry> useStableForce, List<Entry> packageUse, List<Entry> packageUseMask,
                           List<Entry> packageUseForce, List<Entry> packageUseStableMask,
                           List<Entry> packageUseStableForce, List<Entry> packageAcceptKeywords,
                           List<Entry> packageKeywords, List<Entry> packageProvided) {}

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
        this.warnings = List.copyOf(warnings);
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
        return warnings;
    }
}

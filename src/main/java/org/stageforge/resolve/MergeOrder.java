package org.stageforge.resolve;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Portage's merge order for binary packages ({@code depgraph._serialize_tasks} of emerge
 * {@code --usepkgonly --root=R}), on a graph whose nodes are numbered in the order Portage's
 * depgraph adds them. Edges carry Portage's dependency priorities; build-time dependencies never
 * occur (binary packages ignore DEPEND/BDEPEND) and every edge is "cross" (ROOT is not /), so a
 * runtime slot-operator dependency is as weak as any runtime one.
 *
 * <p>The steps, as Portage takes them: packages that are not merged and that nothing needs are
 * pruned; the node order is biased (the runtime closure of @system packages first, then by how
 * many packages need a node, most first; stable otherwise); then, repeatedly, the leaves are
 * taken (all at once when no edge had to be ignored, else one that something depends on),
 * ignoring runtime-post (PDEPEND) edges if needed; when none remain, the smallest runtime cycle
 * is gathered and merged leaf by leaf, and PDEPENDs of packages merged early are merged as soon
 * as possible.
 */
final class MergeOrder {
    /** Priority flags of one dependency: RDEPEND/IDEPEND are runtime, PDEPEND runtime-post. */
    static final int RUNTIME = 1;
    static final int RUNTIME_POST = 2;
    /** An installed package matches the atom (Portage's "satisfied"). */
    static final int SATISFIED = 4;
    /** A blocked package's replacement before the blocking package: never ignored. */
    static final int BLOCKER = 8;
    /** IDEPEND (runtime too, as Portage's installtime priority); only named in warnings. */
    static final int INSTALLTIME = 16;

    /** Portage's ignore_priority functions for the flags above (buildtime, optional never set). */
    private enum Ignore {
        OPTIONAL { boolean test(int p) { return false; } },
        N_RUNTIME_POST { boolean test(int p) { return (p & RUNTIME_POST) != 0; } },
        N_RUNTIME { boolean test(int p) { return true; } },
        S_SATISFIED_RUNTIME_POST { boolean test(int p) { return (p & SATISFIED) != 0 && (p & RUNTIME) == 0 && (p & RUNTIME_POST) != 0; } },
        S_RUNTIME_POST { boolean test(int p) { return (p & RUNTIME) == 0 && (p & RUNTIME_POST) != 0; } },
        S_SATISFIED_RUNTIME { boolean test(int p) { return (p & RUNTIME) == 0 || (p & SATISFIED) != 0; } },
        S_SATISFIED_BUILDTIME { boolean test(int p) { return (p & SATISFIED) != 0; } },
        S_SATISFIED_BUILDTIME_SLOT_OP { boolean test(int p) { return (p & SATISFIED) != 0 || (p & RUNTIME) == 0; } },
        S_RUNTIME { boolean test(int p) { return true; } };

        abstract boolean test(int p);

        /** Whether the edge is ignored: every one of its priorities is (a blocker never is). */
        boolean ignores(List<Integer> priorities) {
            for (int p : priorities) if ((p & BLOCKER) != 0 || !test(p)) return false;
            return true;
        }
    }

    /** DepPriorityNormalRange.ignore_priority; NONE=0, SOFT=1, MEDIUM_SOFT=MEDIUM_POST=2, MEDIUM=3. */
    private static final Ignore[] NORMAL = {null, Ignore.OPTIONAL, Ignore.N_RUNTIME_POST, Ignore.N_RUNTIME};
    /** DepPrioritySatisfiedRange.ignore_priority; SOFT=1, MEDIUM_POST=3, MEDIUM_SOFT=6, MEDIUM=7. */
    private static final Ignore[] SATISFIED_RANGE = {null, Ignore.OPTIONAL, Ignore.S_SATISFIED_RUNTIME_POST,
            Ignore.S_RUNTIME_POST, Ignore.S_SATISFIED_RUNTIME, Ignore.S_SATISFIED_BUILDTIME,
            Ignore.S_SATISFIED_BUILDTIME_SLOT_OP, Ignore.S_RUNTIME};

    private record Range(Ignore[] levels, int mediumSoft, int mediumPost, Ignore medium) {}

    private static final Range NORMAL_R = new Range(NORMAL, 2, 2, Ignore.N_RUNTIME);
    private static final Range SATISFIED_R = new Range(SATISFIED_RANGE, 6, 3, Ignore.S_RUNTIME);

    private final int n;
    private final boolean[] merge;
    private final boolean[] system;
    private final int[] sortRank;
    /** children.get(parent): child -> priorities, in insertion order (a digraph's edge dicts). */
    private final List<Map<Integer, List<Integer>>> children = new ArrayList<>();
    private final List<Map<Integer, List<Integer>>> parents = new ArrayList<>();

    /**
     * Nodes are 0..n-1 in the order Portage's depgraph added them.
     *
     * @param merge    whether the node is merged (else an installed package the plan relies on)
     * @param system   whether the node matches an atom of the @system set
     * @param sortRank the node's place in Portage's package sort (category/name, then version)
     */
    MergeOrder(boolean[] merge, boolean[] system, int[] sortRank) {
        this.n = merge.length;
        this.merge = merge.clone();
        this.system = system.clone();
        this.sortRank = sortRank.clone();
        for (int i = 0; i < n; i++) {
            children.add(new LinkedHashMap<>());
            parents.add(new LinkedHashMap<>());
        }
    }

    /** {@code parent} depends on {@code child} with the given priority flags. */
    void edge(int child, int parent, int priority) {
        if (child == parent) return;
        List<Integer> l = children.get(parent).computeIfAbsent(child, k -> new ArrayList<>());
        l.add(priority);
        parents.get(child).put(parent, l);
    }

    /** Every node {@code node} depends on, directly or not, through any edge (not itself). */
    boolean[] prerequisites(int node) {
        boolean[] seen = new boolean[n];
        ArrayList<Integer> stack = new ArrayList<>(List.of(node));
        while (!stack.isEmpty()) {
            for (int c : children.get(stack.remove(stack.size() - 1)).keySet()) {
                if (!seen[c]) {
                    seen[c] = true;
                    stack.add(c);
                }
            }
        }
        seen[node] = false;
        return seen;
    }

    /** With --nodeps: Portage keeps the graph's order. */
    int[] insertionOrder() {
        return java.util.stream.IntStream.range(0, n).filter(i -> merge[i]).toArray();
    }

    /**
     * The merged nodes in Portage's order; for each runtime or blocker edge a cycle made Portage
     * disregard, a warning made by {@code describe} from (dependent, dependency, flags).
     */
    int[] order(List<String> warnings, Describer describe) {
        Graph g = new Graph();
        // prune "nomerge" root nodes until none is left
        for (boolean again = true; again; ) {
            again = false;
            for (int v : new ArrayList<>(g.order)) {
                if (!merge[v] && g.parents(v, null).isEmpty()) {
                    g.remove(v);
                    again = true;
                }
            }
        }
        bias(g);
        List<Integer> result = new ArrayList<>();
        List<Integer> asap = new ArrayList<>();
        boolean preferAsap = true;
        boolean dropSatisfied = false;
        while (!g.order.isEmpty()) {
            List<Integer> selected = null;
            Ignore ignore = null;
            boolean cycle = false;
            Graph cycleGraph = null;
            Range range = preferAsap && !asap.isEmpty() ? SATISFIED_R : NORMAL_R;
            if (preferAsap && !asap.isEmpty()) {
                asap.removeIf(v -> !g.contains(v));
                outer:
                for (int i = 1; i <= range.mediumSoft; i++) {
                    ignore = range.levels[i];
                    for (int v : asap) {
                        if (g.children(v, ignore).isEmpty()) {
                            selected = new ArrayList<>(List.of(v));
                            asap.remove(Integer.valueOf(v));
                            break outer;
                        }
                    }
                }
            }
            if (selected == null && !(preferAsap && !asap.isEmpty())) {
                for (int i = 0; i <= range.mediumSoft && selected == null; i++) {
                    ignore = range.levels[i];
                    List<Integer> leaves = g.leaves(ignore);
                    if (leaves.isEmpty()) continue;
                    if (leaves.size() == 1 || (ignore == null && asap.isEmpty())) {
                        selected = leaves;
                        continue;
                    }
                    // one node only, preferably one whose parent is merged asap, else one something needs
                    if (!asap.isEmpty()) {
                        for (int v : leaves) {
                            for (int p : g.parents(v, Ignore.S_SATISFIED_BUILDTIME_SLOT_OP)) {
                                if (asap.contains(p)) {
                                    selected = new ArrayList<>(List.of(v));
                                    break;
                                }
                            }
                            if (selected != null) break;
                        }
                    }
                    if (selected == null) {
                        for (int v : leaves) {
                            if (!g.parents(v, null).isEmpty()) {
                                selected = new ArrayList<>(List.of(v));
                                break;
                            }
                        }
                    }
                }
            }
            if (selected == null) {
                List<Range> ranges = new ArrayList<>();
                if (range != NORMAL_R) ranges.add(NORMAL_R);
                ranges.add(range);
                if (dropSatisfied && range != SATISFIED_R) ranges.add(SATISFIED_R);
                for (Range r : ranges) {
                    BitSet mergeable = new BitSet();
                    for (int v : g.leaves(r.medium)) mergeable.set(v);
                    if (mergeable.isEmpty()) continue;
                    Object[] found = smallestCycle(g, mergeable, r, preferAsap && !asap.isEmpty() ? asap : null);
                    if (found != null) {
                        selected = (List<Integer>) found[0];
                        ignore = (Ignore) found[1];
                        break;
                    }
                }
                if (selected == null) {
                    if (preferAsap && !asap.isEmpty()) {
                        preferAsap = false;
                        continue;
                    }
                } else {
                    cycle = true;
                    cycleGraph = g.induced(selected);
                    List<Integer> leaves = cycleGraph.leaves(null);
                    if (!leaves.isEmpty()) selected = new ArrayList<>(List.of(leaves.get(0)));
                }
            }
            if (selected != null && ignore != null) {
                // PDEPENDs not satisfied by installed packages: merge them as soon as possible
                for (int v : selected) {
                    for (Map.Entry<Integer, List<Integer>> e : g.children.get(v).entrySet()) {
                        int c = e.getKey();
                        boolean post = Ignore.S_RUNTIME_POST.ignores(e.getValue());
                        boolean postSatisfied = Ignore.S_SATISFIED_RUNTIME_POST.ignores(e.getValue());
                        if (post && !postSatisfied && !selected.contains(c) && !asap.contains(c)) asap.add(c);
                    }
                }
            }
            if (selected != null && selected.size() > 1 && cycle) {
                selected = harvest(cycleGraph);
            }
            if (selected == null) {
                List<Integer> leaves = g.leaves(null);
                if (!leaves.isEmpty()) selected = leaves;
            }
            if (selected == null && !dropSatisfied) {
                dropSatisfied = true;
                continue;
            }
            if (selected == null) {
                // Portage gives up here (blocker cycles); take the first node and say what was disregarded
                selected = new ArrayList<>(List.of(g.order.get(0)));
            }
            preferAsap = true;
            dropSatisfied = false;
            BitSet chosen = new BitSet();
            for (int v : selected) chosen.set(v);
            for (int v : selected) {
                for (Map.Entry<Integer, List<Integer>> e : g.children.get(v).entrySet()) {
                    int c = e.getKey();
                    if (chosen.get(c) && selected.indexOf(c) < selected.indexOf(v)) continue;
                    int flags = 0;
                    for (int p : e.getValue()) flags |= p;
                    if ((flags & (RUNTIME | BLOCKER)) != 0 && merge[c] && merge[v]) {
                        warnings.add(describe.describe(v, c, flags));
                    }
                }
            }
            for (int v : selected) {
                g.remove(v);
                if (merge[v]) result.add(v);
            }
        }
        return result.stream().mapToInt(Integer::intValue).toArray();
    }

    /** _merge_order_bias: deep @system runtime dependencies first, then the most needed. */
    private void bias(Graph g) {
        int[] parentCount = new int[n];
        for (int v : g.order) parentCount[v] = g.parents.get(v).size();
        boolean[] deepSystem = new boolean[n];
        ArrayList<Integer> stack = new ArrayList<>();
        for (int v : g.order) if (system[v]) stack.add(v);
        while (!stack.isEmpty()) {
            int v = stack.remove(stack.size() - 1);
            if (deepSystem[v]) continue;
            deepSystem[v] = true;
            for (Map.Entry<Integer, List<Integer>> e : g.children.get(v).entrySet()) {
                boolean runtime = false;
                for (int p : e.getValue()) runtime |= (p & BLOCKER) == 0 && (p & (RUNTIME | RUNTIME_POST)) != 0;
                if (runtime) stack.add(e.getKey());
            }
        }
        g.order.sort((a, b) -> {
            if (deepSystem[a] != deepSystem[b]) return deepSystem[a] ? -1 : 1;
            return parentCount[b] - parentCount[a];
        });
    }

    /**
     * find_smallest_cycle: among the candidates (sorted as Portage sorts packages) that something
     * needs, the one whose dependency closure stays inside {@code mergeable} and is smallest.
     * Returns {nodes, ignore level} or null.
     */
    private Object[] smallestCycle(Graph g, BitSet mergeable, Range r, List<Integer> asap) {
        List<Integer> nodes = new ArrayList<>();
        if (asap != null) nodes.addAll(asap);
        else mergeable.stream().forEach(nodes::add);
        nodes.sort((a, b) -> Integer.compare(sortRank[a], sortRank[b]));
        for (int i = r.mediumPost; i <= r.mediumSoft; i++) {
            Ignore ignore = r.levels[i];
            List<Integer> best = null;
            for (int v : nodes) {
                if (!g.contains(v) || g.parents(v, null).isEmpty()) continue;
                List<Integer> closure = gather(g, v, ignore, mergeable, best == null ? Integer.MAX_VALUE : best.size());
                if (closure != null && (best == null || closure.size() < best.size())) best = closure;
            }
            if (best != null) return new Object[] {best, ignore};
        }
        return null;
    }

    /**
     * gather_deps: the node's closure over edges not ignored, or null when it leaves {@code valid}
     * or reaches {@code limit} nodes (then it cannot be the smallest).
     */
    private static List<Integer> gather(Graph g, int start, Ignore ignore, BitSet valid, int limit) {
        List<Integer> out = new ArrayList<>();
        BitSet seen = new BitSet();
        ArrayList<Integer> stack = new ArrayList<>(List.of(start));
        while (!stack.isEmpty()) {
            int v = stack.remove(stack.size() - 1);
            if (seen.get(v)) continue;
            if (!valid.get(v)) return null;
            seen.set(v);
            out.add(v);
            if (out.size() >= limit) return null;
            stack.addAll(g.children(v, ignore));
        }
        return out;
    }

    /** A cycle's nodes one leaf at a time, ignoring as weak dependencies as possible. */
    private List<Integer> harvest(Graph cycle) {
        List<Ignore> levels = new ArrayList<>();
        for (Ignore[] range : List.of(NORMAL, SATISFIED_RANGE)) for (Ignore i : range) if (i != null) levels.add(i);
        List<Integer> out = new ArrayList<>();
        while (!cycle.order.isEmpty()) {
            List<Integer> leaves = List.of();
            for (Ignore i : levels) {
                leaves = cycle.leaves(i);
                if (!leaves.isEmpty()) break;
            }
            if (leaves.isEmpty()) leaves = List.of(cycle.order.get(cycle.order.size() - 1));
            List<Integer> installed = leaves.stream().filter(v -> !merge[v]).toList();
            if (!installed.isEmpty()) leaves = installed;
            cycle.remove(leaves.get(0));
            out.add(leaves.get(0));
        }
        return out;
    }

    /** A mutable copy of the graph (or a subgraph), with Portage's node order. */
    private final class Graph {
        final List<Integer> order = new ArrayList<>();
        final List<Map<Integer, List<Integer>>> children = new ArrayList<>();
        final List<Map<Integer, List<Integer>>> parents = new ArrayList<>();
        final BitSet present = new BitSet();

        Graph() {
            this(allNodes());
        }

        Graph(BitSet nodes) {
            for (int i = 0; i < n; i++) {
                children.add(new LinkedHashMap<>());
                parents.add(new LinkedHashMap<>());
            }
            for (int v = nodes.nextSetBit(0); v >= 0; v = nodes.nextSetBit(v + 1)) {
                order.add(v);
                present.set(v);
            }
            for (int v : order) {
                for (Map.Entry<Integer, List<Integer>> e : MergeOrder.this.children.get(v).entrySet()) {
                    if (!nodes.get(e.getKey())) continue;
                    children.get(v).put(e.getKey(), e.getValue());
                    parents.get(e.getKey()).put(v, e.getValue());
                }
            }
        }

        /** The subgraph of the given nodes, in this graph's order. */
        Graph induced(List<Integer> nodes) {
            BitSet s = new BitSet();
            for (int v : nodes) s.set(v);
            Graph sub = new Graph(s);
            sub.order.clear();
            for (int v : order) if (s.get(v)) sub.order.add(v);
            return sub;
        }

        boolean contains(int v) {
            return present.get(v);
        }

        void remove(int v) {
            for (int p : parents.get(v).keySet()) children.get(p).remove(v);
            for (int c : children.get(v).keySet()) parents.get(c).remove(v);
            children.get(v).clear();
            parents.get(v).clear();
            order.remove(Integer.valueOf(v));
            present.clear(v);
        }

        List<Integer> children(int v, Ignore ignore) {
            return select(children.get(v), ignore);
        }

        List<Integer> parents(int v, Ignore ignore) {
            return select(parents.get(v), ignore);
        }

        private List<Integer> select(Map<Integer, List<Integer>> edges, Ignore ignore) {
            List<Integer> out = new ArrayList<>();
            for (Map.Entry<Integer, List<Integer>> e : edges.entrySet()) {
                if (ignore == null || !ignore.ignores(e.getValue())) out.add(e.getKey());
            }
            return out;
        }

        List<Integer> leaves(Ignore ignore) {
            List<Integer> out = new ArrayList<>();
            for (int v : order) if (children(v, ignore).isEmpty()) out.add(v);
            return out;
        }
    }

    private BitSet allNodes() {
        BitSet b = new BitSet();
        b.set(0, n);
        return b;
    }

    /** Names a disregarded edge for the warning. */
    interface Describer {
        String describe(int dependent, int dependency, int flags);
    }
}

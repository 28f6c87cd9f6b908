package org.stageforge.resolve;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Orders packages so that each one's prerequisites come first, breaking cycles the way Portage
 * does: when nothing is ready, edges are ignored weakest first (the baselayout rule, then
 * runtime-post, then runtime, then blocker resolution, then install-time) until a package becomes ready. Among ready
 * packages the one with the lowest rank (category/name/version order) goes first, so the result
 * depends only on the graph, never on input order.
 */
final class MergeOrder {
    /** Edge strengths, weakest first. */
    static final int BASELAYOUT = 1;
    static final int PDEPEND = 2;
    static final int RDEPEND = 3;
    /** A blocked package's replacement before the blocking package. */
    static final int BLOCKER = 4;
    static final int IDEPEND = 5;
    private static final int MAX = 5;

    private final int n;
    private final List<List<int[]>> out = new ArrayList<>();
    private final List<List<int[]>> in = new ArrayList<>();

    /** Nodes are 0..n-1; their index is their rank. */
    MergeOrder(int n) {
        this.n = n;
        for (int i = 0; i < n; i++) {
            out.add(new ArrayList<>());
            in.add(new ArrayList<>());
        }
    }

    /** {@code before} must be merged before {@code after} (unless a cycle needs the edge dropped). */
    void edge(int before, int after, int strength) {
        if (before == after) return;
        out.get(before).add(new int[] {after, strength});
        in.get(after).add(new int[] {before, strength});
    }

    /** Every node that must precede {@code node} through edges of any strength (not itself). */
    boolean[] ancestors(int node) {
        boolean[] seen = new boolean[n];
        ArrayList<Integer> stack = new ArrayList<>();
        stack.add(node);
        while (!stack.isEmpty()) {
            int x = stack.remove(stack.size() - 1);
            for (int[] e : in.get(x)) {
                if (!seen[e[0]]) {
                    seen[e[0]] = true;
                    stack.add(e[0]);
                }
            }
        }
        seen[node] = false;
        return seen;
    }

    /**
     * The order; for each runtime or install-time edge dropped to break a cycle, a warning made by
     * {@code describe} from (dependent, dependency, strength).
     */
    int[] order(List<String> warnings, Describer describe) {
        int[][] cnt = new int[n][MAX + 1];
        for (int v = 0; v < n; v++) for (int[] e : in.get(v)) cnt[v][e[1]]++;
        boolean[] done = new boolean[n];
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int v = 0; v < n; v++) if (blocking(cnt[v], 0) == 0) ready.add(v);
        int[] result = new int[n];
        int k = 0;
        while (k < n) {
            int pick;
            if (!ready.isEmpty()) {
                pick = ready.poll();
                if (done[pick]) continue;
            } else {
                pick = forced(cnt, done);
                for (int[] e : in.get(pick)) {
                    if (!done[e[0]] && e[1] >= RDEPEND) warnings.add(describe.describe(pick, e[0], e[1]));
                }
            }
            done[pick] = true;
            result[k++] = pick;
            for (int[] e : out.get(pick)) {
                int v = e[0];
                cnt[v][e[1]]--;
                if (!done[v] && blocking(cnt[v], 0) == 0) ready.add(v);
            }
        }
        return result;
    }

    /** The lowest-ranked node that becomes ready when the weakest possible edges are ignored. */
    private int forced(int[][] cnt, boolean[] done) {
        for (int level = 1; level <= MAX; level++) {
            for (int v = 0; v < n; v++) if (!done[v] && blocking(cnt[v], level) == 0) return v;
        }
        throw new IllegalStateException("no node left to order");
    }

    /** Unmerged prerequisites stronger than {@code level}. */
    private static int blocking(int[] c, int level) {
        int s = 0;
        for (int i = level + 1; i <= MAX; i++) s += c[i];
        return s;
    }

    /** Names a dropped edge for the warning. */
    interface Describer {
        String describe(int dependent, int dependency, int strength);
    }
}

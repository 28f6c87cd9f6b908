package org.stageforge.resolve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Portage's serialization on small graphs (whole requests are compared with real Portage in PortageOrderTest). */
class MergeOrderTest {
    private static int[] order(MergeOrder m, List<String> warnings) {
        return m.order(warnings, (a, b, f) -> a + "<" + b + "@" + f);
    }

    private static MergeOrder graph(int n) {
        boolean[] merge = new boolean[n];
        java.util.Arrays.fill(merge, true);
        int[] rank = new int[n];
        for (int i = 0; i < n; i++) rank[i] = i;
        return new MergeOrder(merge, new boolean[n], rank);
    }

    @Test
    void leavesGoTogetherMostNeededFirstThenInGraphOrder() {
        MergeOrder m = graph(4);
        m.edge(1, 0, MergeOrder.RUNTIME);
        m.edge(2, 0, MergeOrder.RUNTIME);
        m.edge(2, 3, MergeOrder.RUNTIME);
        List<String> w = new ArrayList<>();
        assertThat(order(m, w)).containsExactly(2, 1, 0, 3);
        assertThat(w).isEmpty();
    }

    @Test
    void systemRuntimeClosureFirst() {
        boolean[] merge = {true, true, true};
        MergeOrder m = new MergeOrder(merge, new boolean[] {false, true, false}, new int[] {0, 1, 2});
        m.edge(2, 1, MergeOrder.RUNTIME);
        // all leaves go at once, the @system closure's first
        assertThat(order(m, new ArrayList<>())).containsExactly(2, 0, 1);
    }

    @Test
    void runtimePostYieldsBeforeACycleIsBrokenAndInstalledNodesAreNotListed() {
        boolean[] merge = {true, true, false};
        MergeOrder m = new MergeOrder(merge, new boolean[3], new int[] {0, 1, 2});
        m.edge(1, 0, MergeOrder.RUNTIME);
        m.edge(0, 1, MergeOrder.RUNTIME_POST);
        m.edge(2, 1, MergeOrder.RUNTIME | MergeOrder.SATISFIED);
        List<String> w = new ArrayList<>();
        assertThat(order(m, w)).containsExactly(1, 0);
        assertThat(w).isEmpty();
        // a runtime cycle: its nodes in graph order, with a warning for the edge disregarded
        MergeOrder c = graph(2);
        c.edge(1, 0, MergeOrder.RUNTIME);
        c.edge(0, 1, MergeOrder.RUNTIME);
        List<String> w2 = new ArrayList<>();
        assertThat(order(c, w2)).containsExactly(0, 1);
        assertThat(w2).containsExactly("0<1@" + MergeOrder.RUNTIME);
    }

    @Test
    void prerequisitesFollowEveryEdge() {
        MergeOrder m = graph(5);
        m.edge(0, 1, MergeOrder.RUNTIME);
        m.edge(1, 2, MergeOrder.RUNTIME_POST);
        m.edge(3, 4, MergeOrder.RUNTIME);
        assertThat(m.prerequisites(2)).containsExactly(true, true, false, false, false);
        assertThat(m.prerequisites(0)).containsExactly(false, false, false, false, false);
    }
}

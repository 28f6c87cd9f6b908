package org.stageforge.resolve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MergeOrderTest {
    private static int[] order(MergeOrder m, List<String> warnings) {
        return m.order(warnings, (a, b, s) -> a + "<" + b + "@" + s);
    }

    @Test
    void readyNodesGoByRank() {
        MergeOrder m = new MergeOrder(4);
        m.edge(3, 0, MergeOrder.RDEPEND);
        m.edge(2, 1, MergeOrder.IDEPEND);
        List<String> w = new ArrayList<>();
        assertThat(order(m, w)).containsExactly(2, 1, 3, 0);
        assertThat(w).isEmpty();
    }

    @Test
    void weakestEdgesAreDroppedFirst() {
        // 0 <-> 1 by a runtime edge one way and a runtime-post edge the other: the post edge yields
        MergeOrder m = new MergeOrder(2);
        m.edge(1, 0, MergeOrder.RDEPEND);
        m.edge(0, 1, MergeOrder.PDEPEND);
        List<String> w = new ArrayList<>();
        assertThat(order(m, w)).containsExactly(1, 0);
        assertThat(w).isEmpty();
        // runtime against install-time: the runtime edge yields, with a warning
        MergeOrder n = new MergeOrder(3);
        n.edge(1, 0, MergeOrder.IDEPEND);
        n.edge(0, 1, MergeOrder.RDEPEND);
        n.edge(2, 1, MergeOrder.RDEPEND);
        List<String> w2 = new ArrayList<>();
        assertThat(order(n, w2)).containsExactly(2, 1, 0);
        assertThat(w2).containsExactly("1<0@" + MergeOrder.RDEPEND);
    }

    @Test
    void ancestorsFollowEveryEdge() {
        MergeOrder m = new MergeOrder(5);
        m.edge(0, 1, MergeOrder.RDEPEND);
        m.edge(1, 2, MergeOrder.PDEPEND);
        m.edge(3, 4, MergeOrder.RDEPEND);
        assertThat(m.ancestors(2)).containsExactly(true, true, false, false, false);
        assertThat(m.ancestors(0)).containsExactly(false, false, false, false, false);
    }
}

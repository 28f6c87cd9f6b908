package org.stageforge.resolve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.DepNode;
import org.stageforge.atom.DepString;
import org.stageforge.profile.PortageConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random dependency graphs with random dependency strings (some malformed): the resolver either
 * returns a plan whose plain runtime dependencies are all in it, once per slot, or fails with
 * {@link ResolveException} / {@link ParseException}; nothing else.
 */
class ResolverFuzzTest {
    @TempDir
    Path tmp;

    private static final String[] OPS = {"", ">=", "<", "=", "~", "<="};

    @Test
    void randomGraphsResolveOrFailCleanly() {
        PortageConfig config = TestEnv.config(tmp);
        Random r = new Random(20261122L);
        int plans = 0;
        int failures = 0;
        for (int round = 0; round < 250; round++) {
            int n = 5 + r.nextInt(30);
            List<Map<String, String>> pkgs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int versions = 1 + r.nextInt(2);
                for (int v = 0; v < versions; v++) {
                    pkgs.add(TestEnv.pkg("c" + (i % 4) + "/p" + i + "-" + (v + 1) + "." + r.nextInt(3),
                            "SLOT", r.nextInt(6) == 0 ? "1/" + r.nextInt(2) : "0",
                            "KEYWORDS", r.nextInt(20) == 0 ? "~amd64" : "amd64",
                            "IUSE", "a b", "USE", r.nextInt(3) == 0 ? "b" : "a",
                            "BUILD_ID", Integer.toString(1 + r.nextInt(3)),
                            "RDEPEND", deps(r, n), "PDEPEND", r.nextInt(5) == 0 ? deps(r, n) : "",
                            "IDEPEND", r.nextInt(8) == 0 ? deps(r, n) : ""));
                }
            }
            List<String> targets = new ArrayList<>();
            for (int t = 0; t < 1 + r.nextInt(3); t++) targets.add("c" + (t % 4) + "/p" + t);
            ResolveRequest.Options o = new ResolveRequest.Options(r.nextInt(10) == 0, false, false, r.nextInt(6) == 0, r.nextBoolean());
            try {
                ResolvePlan plan = Resolver.resolve(ResolveRequest.of(config, List.of(TestEnv.binhost("bh", pkgs)), targets, o));
                check(plan, o.nodeps());
                plans++;
            } catch (ResolveException | ParseException e) {
                assertThat(e.getMessage()).isNotBlank();
                failures++;
            } catch (RuntimeException e) {
                fail("round " + round + ": unexpected " + e, e);
            }
        }
        assertThat(plans).isGreaterThan(20);
        assertThat(failures).isGreaterThan(20);
    }

    private static void check(ResolvePlan plan, boolean nodeps) {
        Set<String> slots = new HashSet<>();
        for (PlannedPackage p : plan.packages()) assertThat(slots.add(p.cpv().cp() + ":" + p.slot())).isTrue();
        if (nodeps) return;
        for (PlannedPackage p : plan.packages()) {
            String rdep = p.entry().get("RDEPEND");
            for (DepNode d : DepString.reduce(DepString.parse(rdep, DepString.Kind.DEPEND), p.use()).children()) {
                if (!(d instanceof DepNode.AtomLeaf l) || l.atom().isBlocker()) continue;
                Atom a = l.atom();
                assertThat(plan.packages()).as(a + " of " + p.cpv())
                        .anyMatch(q -> a.matchesCpv(q.cpv()) && a.matchesSlot(q.slot(), q.subslot()));
            }
        }
    }

    private static String deps(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        int k = r.nextInt(4);
        for (int i = 0; i < k; i++) sb.append(dep(r, n, 0)).append(' ');
        if (r.nextInt(25) == 0) sb.append(r.nextBoolean() ? "|| ( " : ")) ").append("!!!x");
        return sb.toString().strip();
    }

    private static String dep(Random r, int n, int depth) {
        int kind = depth > 2 ? 0 : r.nextInt(10);
        if (kind == 8) return "|| ( " + dep(r, n, depth + 1) + " " + dep(r, n, depth + 1) + " )";
        if (kind == 9) return (r.nextBoolean() ? "!" : "") + "a? ( " + dep(r, n, depth + 1) + " )";
        int t = r.nextInt(n);
        String op = OPS[r.nextInt(OPS.length)];
        String atom = "c" + (t % 4) + "/p" + t + (op.isEmpty() ? "" : "-" + (1 + r.nextInt(2)) + "." + r.nextInt(3));
        String block = r.nextInt(15) == 0 ? (r.nextBoolean() ? "!" : "!!") : "";
        String slot = r.nextInt(8) == 0 ? (r.nextBoolean() ? ":0" : ":1=") : "";
        String use = r.nextInt(6) == 0 ? "[" + (r.nextBoolean() ? "a" : "-b") + (r.nextBoolean() ? "?" : "") + "]" : "";
        if (!block.isEmpty()) use = use.replace("?", "");
        return block + op + atom + slot + use;
    }
}

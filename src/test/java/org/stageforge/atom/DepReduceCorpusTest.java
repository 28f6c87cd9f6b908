package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Every row of Portage's use_reduce(dep, uselist=USE, flat=True, eapi="8") answers must agree. */
class DepReduceCorpusTest {

    static String reduce(String dep, String use) {
        Set<String> flags = new HashSet<>(List.of(use.trim().isEmpty() ? new String[0] : use.trim().split("\\s+")));
        try {
            return String.join(" ", DepString.reduceFlat(DepString.parse(dep, DepString.Kind.DEPEND), flags));
        } catch (ParseException e) {
            return "invalid";
        }
    }

    @Test
    void everyRowAgreesWithPortage() {
        List<Tsv> rows = Tsv.read(Fixtures.require("portage-expected/depreduce.tsv"));
        List<String> failures = new ArrayList<>();
        int valid = 0;
        for (Tsv r : rows) {
            String got = reduce(r.cols()[0], r.cols()[1]);
            if (!got.equals(r.cols()[2])) failures.add(r.where() + " -> got " + got);
            if (!got.equals("invalid")) {
                valid++;
                // the canonical form parses back to the same tree
                DepNode.AllOf tree = DepString.parse(r.cols()[0], DepString.Kind.DEPEND);
                if (!DepString.parse(DepString.format(tree), DepString.Kind.DEPEND).equals(tree)) failures.add(r.where() + " canonical form differs");
            }
        }
        assertThat(rows).hasSizeGreaterThan(1500);
        assertThat(valid).isGreaterThan(500);
        assertThat(failures).as("%d of %d rows disagree", failures.size(), rows.size()).isEmpty();
    }
}

package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every row of Portage's Atom(s, allow_repo=True, eapi="8") answers must agree. */
class AtomCorpusTest {

    static String portageView(String s) {
        try {
            return Atom.parse(s).toPortageJson();
        } catch (ParseException e) {
            return "invalid";
        }
    }

    @Test
    void everyRowAgreesWithPortage() {
        List<Tsv> rows = Tsv.read(Fixtures.require("portage-expected/atoms.tsv"));
        List<String> failures = new ArrayList<>();
        int valid = 0;
        for (Tsv r : rows) {
            String got = portageView(r.cols()[0]);
            if (!got.equals(r.cols()[1])) failures.add(r.where() + " -> got " + got);
            if (!got.equals("invalid")) {
                valid++;
                Atom a = Atom.parse(r.cols()[0]);
                if (!a.toString().equals(r.cols()[0])) failures.add(r.where() + " does not round-trip: " + a);
                if (!Atom.parse(a.toString()).equals(a)) failures.add(r.where() + " reparse differs");
            }
        }
        assertThat(rows).hasSizeGreaterThan(9000);
        assertThat(valid).isGreaterThan(1000);
        assertThat(failures).as("%d of %d rows disagree", failures.size(), rows.size()).isEmpty();
    }
}

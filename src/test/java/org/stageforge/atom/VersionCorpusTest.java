package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every row of Portage's vercmp answers must agree. */
class VersionCorpusTest {

    static String vercmp(String a, String b) {
        Integer c = Version.vercmp(a, b);
        if (c != null && !a.equals(b)) {
            // the exception path must agree with the validity check
            try {
                assertThat(Integer.signum(Version.parse(a).compareTo(Version.parse(b)))).isEqualTo(c);
            } catch (ParseException e) {
                throw new AssertionError(a + " vs " + b, e);
            }
        }
        return c == null ? "invalid" : c.toString();
    }

    @Test
    void everyRowAgreesWithPortage() {
        List<Tsv> rows = Tsv.read(Fixtures.require("portage-expected/vercmp.tsv"));
        List<String> failures = new ArrayList<>();
        for (Tsv r : rows) {
            String got = vercmp(r.cols()[0], r.cols()[1]);
            if (!got.equals(r.cols()[2])) failures.add(r.where() + " -> got " + got);
            if (Version.isValid(r.cols()[0]) && Version.isValid(r.cols()[1])) {
                // symmetry and hash consistency must hold wherever Portage gives an answer
                Version a = Version.parse(r.cols()[0]), b = Version.parse(r.cols()[1]);
                if (Integer.signum(b.compareTo(a)) != -Integer.signum(a.compareTo(b))) failures.add(r.where() + " asymmetric");
                if (a.equals(b) && a.hashCode() != b.hashCode()) failures.add(r.where() + " hash differs");
            }
        }
        assertThat(rows).hasSizeGreaterThan(9000);
        assertThat(failures).as("%d of %d rows disagree", failures.size(), rows.size()).isEmpty();
    }
}

package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.ParseException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VersionTest {

    private static int cmp(String a, String b) {
        return Integer.signum(Version.parse(a).compareTo(Version.parse(b)));
    }

    @ParameterizedTest
    @CsvSource({
            // numeric components, first one compared as an integer
            "1, 2, -1", "10, 9, 1", "007, 7, 0", "1.10, 1.9, 1",
            // leading zeros in later components compare as decimal fractions
            "1.02, 1.1, -1", "1.010, 1.01, 0", "1.0, 1.00, 0", "1.05, 1.5, -1", "1.1, 1.05, 1",
            // a missing component is below any present one
            "1, 1.0, -1", "1.0.0, 1.0, 1", "1.0a, 1.0.0, -1",
            // letters
            "1a, 1, 1", "1b, 1a, 1", "12.2.5, 12.2b, 1",
            // suffixes: alpha < beta < pre < rc < (none) < p
            "1_alpha, 1_beta, -1", "1_beta, 1_pre, -1", "1_pre, 1_rc, -1", "1_rc, 1, -1", "1, 1_p, -1",
            "1_p, 1_p0, 0", "1_p1, 1_p, 1", "1_alpha2, 1_alpha10, -1", "1_pre_p1, 1_pre, 1", "1_rc1_alpha, 1_rc1, -1",
            "1_p_p, 1_p, 1",
            // revisions
            "1-r1, 1, 1", "1-r0, 1, 0", "1-r01, 1-r1, 0", "1-r10, 1-r9, 1",
            // numbers beyond the range of a long
            "123456789012345678901234567890, 123456789012345678901234567891, -1",
            "1.0123456789012345678901234, 1.01234567890123456789012341, -1",
            "1.00000000000000000000000000, 1.0, 0",
            "1_p99999999999999999999999, 1_p99999999999999999999998, 1",
            "1-r99999999999999999999999, 1-r099999999999999999999999, 0",
    })
    void comparesLikePortage(String a, String b, int expected) {
        assertThat(cmp(a, b)).as("%s vs %s", a, b).isEqualTo(expected);
        assertThat(cmp(b, a)).as("%s vs %s", b, a).isEqualTo(-expected);
        if (expected == 0) assertThat(Version.parse(a)).isEqualTo(Version.parse(b)).hasSameHashCodeAs(Version.parse(b));
        else assertThat(Version.parse(a)).isNotEqualTo(Version.parse(b));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "1.", ".1", "1..2", "1ab", "1A", "1_", "1_foo", "1_p-", "1-r", "1-r1a", "1-1",
            "1_pr", "1-r1-r2", "1.2b.3", " 1", "1 ", "١", "1_beta_", "1-R1", "1_alpha-r1_p"})
    void rejectsInvalid(String s) {
        assertThatThrownBy(() -> Version.parse(s)).isInstanceOf(ParseException.class);
        assertThat(Version.isValid(s)).isFalse();
    }

    @Test
    void errorNamesThePosition() {
        assertThatThrownBy(() -> Version.parse("1.2_foo"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("position 5");
        assertThat(((ParseException) catchParse("1.2-x")).column()).isEqualTo(5);
    }

    private static Throwable catchParse(String s) {
        try {
            Version.parse(s);
        } catch (ParseException e) {
            return e;
        }
        throw new AssertionError("parsed: " + s);
    }

    @Test
    void keepsTextAndExposesParts() {
        Version v = Version.parse("01.2_rc3-r04");
        assertThat(v).hasToString("01.2_rc3-r04");
        assertThat(v.withoutRevision()).isEqualTo("01.2_rc3");
        assertThat(v.hasRevision()).isTrue();
        assertThat(v.revisionText()).isEqualTo("04");
        assertThat(Version.parse("1.2").withoutRevision()).isEqualTo("1.2");
        assertThat(Version.parse("1.2").revisionText()).isEmpty();
    }

    @Test
    void sortsAPmsSequence() {
        List<String> ordered = List.of("1_alpha", "1_alpha1", "1_beta", "1_pre", "1_rc", "1", "1-r1", "1_p", "1_p1",
                "1a", "1.0", "1.0.1", "1.01", "1.1", "1.2", "1.10", "2_alpha", "2");
        List<Version> shuffled = new ArrayList<>();
        for (String s : ordered) shuffled.add(Version.parse(s));
        Collections.shuffle(shuffled, new java.util.Random(7));
        Collections.sort(shuffled);
        assertThat(shuffled).extracting(Version::toString).containsExactlyElementsOf(ordered);
    }

    @ParameterizedTest
    @CsvSource({
            "1, 1, true", "1, 1.2, true", "1, 10, false", "1, 1b, true", "1.2, 1.2_p1, true", "1.2, 1.2-r3, true",
            "1.2, 1.20, false", "1_p, 1_pre, false", "1_p, 1_p1, true", "01, 1.5, true", "1, 001.5, true",
            "0, 0.1, true", "000, 0.1, true", "1-r1, 1-r1, true", "1-r1, 1-r10, false", "1.2, 1.3, false",
    })
    void globMatchesOnPartBoundaries(String prefix, String candidate, boolean expected) {
        assertThat(Version.parse(candidate).matchesGlob(Version.parse(prefix))).isEqualTo(expected);
    }
}

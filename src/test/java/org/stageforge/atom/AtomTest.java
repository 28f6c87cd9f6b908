package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.ParseException;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomTest {

    @Test
    void parsesEveryPart() {
        Atom a = Atom.parse("!!>=dev-libs/foo-bar-1.2_rc1-r3:2/2.1=::gentoo[a,-b,c=,!d=,e?,!f?,g(+),h(-)]");
        assertThat(a.blocker()).isEqualTo(Atom.Blocker.STRONG);
        assertThat(a.operator()).isEqualTo(Atom.Operator.GREATER_EQUAL);
        assertThat(a.cp()).isEqualTo("dev-libs/foo-bar");
        assertThat(a.version()).hasToString("1.2_rc1-r3");
        assertThat(a.slot()).isEqualTo("2");
        assertThat(a.subslot()).isEqualTo("2.1");
        assertThat(a.slotOperator()).isEqualTo("=");
        assertThat(a.repo()).isEqualTo("gentoo");
        assertThat(a.use()).extracting(UseDep::kind).containsExactly(
                UseDep.Kind.ENABLED, UseDep.Kind.DISABLED, UseDep.Kind.EQUAL, UseDep.Kind.NOT_EQUAL,
                UseDep.Kind.IF_ENABLED, UseDep.Kind.IF_DISABLED, UseDep.Kind.ENABLED, UseDep.Kind.ENABLED);
        assertThat(a.use().get(6).missing()).isEqualTo(UseDep.Missing.ENABLED);
        assertThat(a.use().get(7).missing()).isEqualTo(UseDep.Missing.DISABLED);
        assertThat(a).hasToString("!!>=dev-libs/foo-bar-1.2_rc1-r3:2/2.1=::gentoo[a,-b,c=,!d=,e?,!f?,g(+),h(-)]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cat/pkg", "=cat/pkg-1", "=cat/pkg-1*", "=cat/pkg-1-r1*", "~cat/pkg-1", "<cat/pkg-1",
            "<=cat/pkg-1", ">cat/pkg-1", ">=cat/pkg-1", "!cat/pkg", "!!cat/pkg", "cat/pkg:0", "cat/pkg:0/1",
            "cat/pkg:=", "cat/pkg:*", "cat/pkg:0=", "cat/pkg:0/1=", "cat/pkg::repo", "cat/pkg:0::repo[a]",
            "cat/pkg[a(+)=,a(+)?]", "cat/pkg-bar", "cat/pkg-1bar", "cat/x-y-z", "cat/gtk+", "c.a+t_/p_k+g"})
    void acceptsAndRoundTrips(String s) {
        assertThat(Atom.parse(s)).hasToString(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "pkg", "cat/", "/pkg", "cat/pkg-1", "=cat/pkg", "=cat/pkg-1-2", "~cat/pkg-1*", ">=cat/pkg-1*",
            "cat/pkg:", "cat/pkg:0*", "cat/pkg:/1", "cat/pkg:0/", "cat/pkg::", "cat/pkg::-r", "cat/pkg[]", "cat/pkg[a,]",
            "cat/pkg[-a?]", "cat/pkg[!a]", "cat/pkg[a(+),a(-)]", "cat/pkg[a,a(+)]", "cat/pkg[a", "cat/pkg]",
            "cat/pkg[a][b]", "!!!cat/pkg", "=<cat/pkg-1", "cat/pkg-1:0", "cat/pkg::repo:0", "cat /pkg",
            "cat/pkg[a b]", "cat/pkg[_a]", "cat/pkg[a(*)]", "cat/pkg:0:1", "=cat/pkg-1**", "cat/pk.g"})
    void rejects(String s) {
        assertThatThrownBy(() -> Atom.parse(s)).isInstanceOf(ParseException.class);
    }

    @Test
    void repoCanBeForbidden() {
        assertThatThrownBy(() -> Atom.parse("cat/pkg::gentoo", false)).isInstanceOf(ParseException.class);
        assertThat(Atom.parse("cat/pkg:0", false).slot()).isEqualTo("0");
    }

    @ParameterizedTest
    @CsvSource({
            "cat/pkg, cat/pkg-1, true", "cat/pkg, cat/other-1, false",
            "=cat/pkg-1.0, cat/pkg-1.00, true", "=cat/pkg-1.0, cat/pkg-1.0-r1, false", "=cat/pkg-1, cat/pkg-1-r0, true",
            "~cat/pkg-1.0, cat/pkg-1.0-r5, true", "~cat/pkg-1.0, cat/pkg-1.00, false", "~cat/pkg-1.0-r1, cat/pkg-1.0, true",
            "=cat/pkg-1.2*, cat/pkg-1.2.3, true", "=cat/pkg-1.2*, cat/pkg-1.20, false", "=cat/pkg-1*, cat/pkg-1_rc1, true",
            "<cat/pkg-2, cat/pkg-1.9, true", "<cat/pkg-2, cat/pkg-2, false", "<=cat/pkg-2, cat/pkg-2, true",
            ">cat/pkg-2, cat/pkg-2-r1, true", ">=cat/pkg-2, cat/pkg-2_pre1, false", "!cat/pkg, cat/pkg-1, true",
    })
    void matchesCpv(String atom, String cpv, boolean expected) {
        assertThat(Atom.parse(atom).matchesCpv(Cpv.parse(cpv))).isEqualTo(expected);
    }

    @Test
    void matchesSlotsRepoAndUse() {
        Cpv p = Cpv.parse("cat/pkg-1");
        assertThat(Atom.parse("cat/pkg:2").matches(p, "2", null, "gentoo", null, null)).isTrue();
        assertThat(Atom.parse("cat/pkg:2").matches(p, "3", null, "gentoo", null, null)).isFalse();
        assertThat(Atom.parse("cat/pkg:2/5").matches(p, "2", "5", null, null, null)).isTrue();
        assertThat(Atom.parse("cat/pkg:2/5").matches(p, "2", "6", null, null, null)).isFalse();
        assertThat(Atom.parse("cat/pkg:2/2").matches(p, "2", null, null, null, null)).isTrue();
        assertThat(Atom.parse("cat/pkg:=").matches(p, "7", null, null, null, null)).isTrue();
        assertThat(Atom.parse("cat/pkg::gentoo").matches(p, "0", null, "other", null, null)).isFalse();
        assertThat(Atom.parse("cat/pkg::gentoo").matches(p, "0", null, "gentoo", null, null)).isTrue();

        Set<String> iuse = Set.of("a", "b");
        Set<String> on = Set.of("a");
        assertThat(Atom.parse("cat/pkg[a,-b]").matches(p, "0", null, null, on, iuse)).isTrue();
        assertThat(Atom.parse("cat/pkg[b]").matches(p, "0", null, null, on, iuse)).isFalse();
        assertThat(Atom.parse("cat/pkg[-a]").matches(p, "0", null, null, on, iuse)).isFalse();
        // flags missing from IUSE: only a default can satisfy them
        assertThat(Atom.parse("cat/pkg[x]").matches(p, "0", null, null, on, iuse)).isFalse();
        assertThat(Atom.parse("cat/pkg[-x]").matches(p, "0", null, null, on, iuse)).isFalse();
        assertThat(Atom.parse("cat/pkg[x(+)]").matches(p, "0", null, null, on, iuse)).isTrue();
        assertThat(Atom.parse("cat/pkg[x(-)]").matches(p, "0", null, null, on, iuse)).isFalse();
        assertThat(Atom.parse("cat/pkg[-x(-)]").matches(p, "0", null, null, on, iuse)).isTrue();
        assertThat(Atom.parse("cat/pkg[-x(+)]").matches(p, "0", null, null, on, iuse)).isFalse();
        // a default does not matter when the flag is in IUSE
        assertThat(Atom.parse("cat/pkg[b(+)]").matches(p, "0", null, null, on, iuse)).isFalse();
        assertThat(Atom.parse("cat/pkg[x?]").matches(p, "0", null, null, on, iuse)).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "cat/pkg[a?];a;cat/pkg[a]", "cat/pkg[a?];;cat/pkg", "cat/pkg[!a?];;cat/pkg[-a]", "cat/pkg[!a?];a;cat/pkg",
            "cat/pkg[a=];a;cat/pkg[a]", "cat/pkg[a=];;cat/pkg[-a]", "cat/pkg[!a=];a;cat/pkg[-a]", "cat/pkg[!a=];;cat/pkg[a]",
            "cat/pkg:1=::r[x,a(+)=,-y];;cat/pkg:1=::r[x,-a(+),-y]", "!cat/pkg[a(-)?];a;!cat/pkg[a(-)]",
    })
    void evaluatesConditionals(String atom, String use, String expected) {
        Set<String> parent = use == null ? Set.of() : Set.of(use.split(","));
        Atom e = Atom.parse(atom).evaluateConditionals(parent);
        assertThat(e).hasToString(expected);
        assertThat(e.hasConditionalUse()).isFalse();
    }

    @Test
    void withoutUseAndBlocker() {
        Atom a = Atom.parse("!>=cat/pkg-1:0::r[a,b?]");
        assertThat(a.withoutUse()).hasToString("!>=cat/pkg-1:0::r");
        assertThat(a.withoutBlocker()).hasToString(">=cat/pkg-1:0::r[a,b?]");
        assertThat(a.isBlocker()).isTrue();
        assertThat(a.withoutBlocker().isBlocker()).isFalse();
    }

    @Test
    void portageFields() {
        assertThat(Atom.parse("!=cat/pkg-1.0*:0=[a]").toPortageJson()).isEqualTo(
                "{\"blocker\": \"!\", \"cp\": \"cat/pkg\", \"operator\": \"=*\", \"repo\": null, \"slot\": \"0\", "
                        + "\"slot_operator\": \"=\", \"subslot\": null, \"use\": \"[a]\", \"version\": \"1.0\"}");
        assertThat(Atom.parse("cat/pkg:*").toPortageFields()).containsEntry("slot", null).containsEntry("slot_operator", "*");
    }

    @Test
    void equalityIsTextual() {
        assertThat(Atom.parse("=a/b-1.0")).isNotEqualTo(Atom.parse("=a/b-1.00"));
        assertThat(Atom.parse("=a/b-1.0[x]")).isEqualTo(Atom.parse("=a/b-1.0[x]")).hasSameHashCodeAs(Atom.parse("=a/b-1.0[x]"));
    }

    @Test
    void errorPointsIntoTheAtom() {
        assertThatThrownBy(() -> Atom.parse("cat/pkg[a,_b]")).isInstanceOf(ParseException.class).hasMessageContaining("position 11");
    }
}

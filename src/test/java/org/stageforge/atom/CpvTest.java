package org.stageforge.atom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpvTest {

    @ParameterizedTest
    @CsvSource({
            "sys-apps/portage-3.0.49-r1, sys-apps, portage, 3.0.49-r1, portage-3.0.49, portage-3.0.49-r1",
            "dev-libs/x-y-z-1.0, dev-libs, x-y-z, 1.0, x-y-z-1.0, x-y-z-1.0",
            "x11-libs/gtk+-3.24, x11-libs, gtk+, 3.24, gtk+-3.24, gtk+-3.24",
            "app-misc/foo-bar2-1_p1, app-misc, foo-bar2, 1_p1, foo-bar2-1_p1, foo-bar2-1_p1",
            "a.b/c-1, a.b, c, 1, c-1, c-1",
    })
    void splitsParts(String text, String cat, String name, String ver, String pv, String pf) {
        Cpv c = Cpv.parse(text);
        assertThat(c.category()).isEqualTo(cat);
        assertThat(c.name()).isEqualTo(name);
        assertThat(c.version()).hasToString(ver);
        assertThat(c.cp()).isEqualTo(cat + "/" + name);
        assertThat(c.pv()).isEqualTo(pv);
        assertThat(c.pf()).isEqualTo(pf);
        assertThat(c).hasToString(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"foo-1", "cat/foo", "cat/foo-1-2", "cat/foo-1a-2", "cat/-foo-1", "-cat/foo-1", ".cat/foo-1",
            "cat/foo.bar-1", "cat/foo-1-r1-2", "cat/sub/foo-1", "cat/foo-", "cat/foo-r1", "/foo-1", "cat/foo-1 "})
    void rejectsInvalid(String s) {
        assertThatThrownBy(() -> Cpv.parse(s)).isInstanceOf(ParseException.class);
    }

    @Test
    void packageNameRule() {
        assertThat(Names.isValidPackageName("foo-bar")).isTrue();
        assertThat(Names.isValidPackageName("foo-1bar")).isTrue();
        assertThat(Names.isValidPackageName("foo-1")).isFalse();
        assertThat(Names.isValidPackageName("foo-1.2b_p3-r4")).isFalse();
        assertThat(Names.isValidPackageName("foo-1-bar")).isTrue();
        assertThat(Names.isValidPackageName("foo-")).isTrue();
        assertThat(Names.isValidPackageName("-foo")).isFalse();
        assertThat(Names.isValidPackageName("+foo_")).isTrue();
        assertThat(Names.isValidUseFlag("python_targets_python3_12")).isTrue();
        assertThat(Names.isValidUseFlag("_foo")).isFalse();
        assertThat(Names.isValidUseFlag("a+b@c-d")).isTrue();
        assertThat(Names.isValidCategory("dev-libs")).isTrue();
        assertThat(Names.isValidCategory("-dev")).isFalse();
        assertThat(Names.isValidRepoName("my-overlay")).isTrue();
        assertThat(Names.isValidRepoName("-x")).isFalse();
        assertThat(Names.isValidLicenseName("GPL-2+")).isTrue();
        assertThat(Names.isValidLicenseName("+GPL")).isFalse();
    }

    @Test
    void ordersByNameThenVersion() {
        assertThat(Cpv.parse("a/b-1.10")).isGreaterThan(Cpv.parse("a/b-1.9"));
        assertThat(Cpv.parse("a/b-2")).isLessThan(Cpv.parse("a/c-1"));
        // textual identity, vercmp order
        assertThat(Cpv.parse("a/b-1.0")).isNotEqualTo(Cpv.parse("a/b-1.00")).isEqualByComparingTo(Cpv.parse("a/b-1.00"));
        assertThat(Cpv.parse("a/b-1.0-r1")).isEqualTo(Cpv.parse("a/b-1.0-r1")).hasSameHashCodeAs(Cpv.parse("a/b-1.0-r1"));
    }
}

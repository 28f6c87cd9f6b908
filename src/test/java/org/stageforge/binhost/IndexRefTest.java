package org.stageforge.binhost;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.index.PackagesIndex;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexRefTest {
    private static final String INDEX = """
            ARCH: amd64
            PACKAGES: 5

            BUILD_ID: 2
            CPV: dev-libs/foo-1.0
            MD5: 0123456789ABCDEF0123456789abcdef
            PATH: dev-libs/foo/foo-1.0-2.gpkg.tar
            REPO: gentoo
            SIZE: 10
            SLOT: 0/1.0

            CPV: dev-libs/foo-1.0-r1
            REPO: other
            SIZE: 11
            SLOT: 1

            CPV: dev-libs/foo-bar-2_rc1
            SHA512: %s
            BLAKE2B: %s
            SIZE: 12

            CPV: dev-libs/foo-x2-3
            SIZE: 13

            CPV: dev-libs/food-1
            SIZE: 14

            """.formatted("a".repeat(128), "b".repeat(128));

    private final PackagesIndex index = PackagesIndex.parse("test", INDEX.getBytes(StandardCharsets.UTF_8));

    @Test
    void adaptsEntries() {
        var refs = IndexRef.all(index);
        assertThat(refs).hasSize(5);
        IndexRef a = refs.get(0);
        assertThat(a.cpv()).isEqualTo("dev-libs/foo-1.0");
        assertThat(a.buildId()).isEqualTo(2);
        assertThat(a.size()).isEqualTo(10);
        assertThat(a.md5()).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(a.sha1()).isNull();
        assertThat(a.label()).isEqualTo("dev-libs/foo-1.0 (build 2)");
        IndexRef b = refs.get(1);
        assertThat(b.path()).isEqualTo("dev-libs/foo-1.0-r1.tbz2");
        assertThat(b.buildId()).isZero();
        assertThat(b.label()).isEqualTo("dev-libs/foo-1.0-r1");
        assertThat(b.digests()).isEmpty();
        assertThat(refs.get(2).digests()).containsOnlyKeys("SHA512", "BLAKE2B");
        assertThat(refs.get(2).digests().keySet()).first().isEqualTo("SHA512");
    }

    @Test
    void selectsByAtomOrCpv() {
        assertThat(cpvs("dev-libs/foo")).containsExactly("dev-libs/foo-1.0", "dev-libs/foo-1.0-r1");
        assertThat(cpvs("dev-libs/foo-bar")).containsExactly("dev-libs/foo-bar-2_rc1");
        assertThat(cpvs("dev-libs/foo-x2")).containsExactly("dev-libs/foo-x2-3");
        assertThat(cpvs("=dev-libs/foo-1.0")).containsExactly("dev-libs/foo-1.0");
        assertThat(cpvs("dev-libs/foo-1.0")).containsExactly("dev-libs/foo-1.0");
        assertThat(cpvs(">=dev-libs/foo-1.0-r1")).containsExactly("dev-libs/foo-1.0-r1");
        assertThat(cpvs("~dev-libs/foo-1.0")).containsExactly("dev-libs/foo-1.0", "dev-libs/foo-1.0-r1");
        assertThat(cpvs("=dev-libs/foo-1*")).containsExactly("dev-libs/foo-1.0", "dev-libs/foo-1.0-r1");
        assertThat(cpvs("dev-libs/foo:0")).containsExactly("dev-libs/foo-1.0");
        assertThat(cpvs("dev-libs/foo:0/1.0")).containsExactly("dev-libs/foo-1.0");
        assertThat(cpvs("dev-libs/foo:1")).containsExactly("dev-libs/foo-1.0-r1");
        assertThat(cpvs("dev-libs/foo::other")).containsExactly("dev-libs/foo-1.0-r1");
        assertThat(cpvs("dev-libs/fo")).isEmpty();
        assertThat(cpvs("<dev-libs/foo-1")).isEmpty();
    }

    @Test
    void refusesBlockersAndMalformedAtoms() {
        assertThatThrownBy(() -> IndexRef.select(index, "!dev-libs/foo")).isInstanceOf(ParseException.class)
                .hasMessageContaining("a blocker selects no package");
        assertThatThrownBy(() -> IndexRef.select(index, "=dev-libs/foo")).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> IndexRef.select(index, "foo")).isInstanceOf(ParseException.class);
    }

    private java.util.List<String> cpvs(String q) {
        return IndexRef.select(index, q).stream().map(IndexRef::cpv).toList();
    }
}

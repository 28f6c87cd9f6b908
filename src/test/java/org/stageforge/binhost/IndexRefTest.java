package org.stageforge.binhost;

import org.junit.jupiter.api.Test;
import org.stageforge.index.PackagesIndex;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class IndexRefTest {
    private static final String INDEX = """
            ARCH: amd64
            PACKAGES: 5

            BUILD_ID: 2
            CPV: dev-libs/foo-1.0
            MD5: 0123456789ABCDEF0123456789abcdef
            PATH: dev-libs/foo/foo-1.0-2.gpkg.tar
            SIZE: 10

            CPV: dev-libs/foo-1.0-r1
            SIZE: 11

            CPV: dev-libs/foo-bar-2_rc1
            SHA512: %s
            BLAKE2B: %s
            SIZE: 12

            CPV: dev-libs/foo-2x-3
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
    void selectsByCpvOrPackageName() {
        assertThat(IndexRef.select(index, "dev-libs/foo")).extracting(IndexRef::cpv)
                .containsExactly("dev-libs/foo-1.0", "dev-libs/foo-1.0-r1");
        assertThat(IndexRef.select(index, "dev-libs/foo-bar")).extracting(IndexRef::cpv).containsExactly("dev-libs/foo-bar-2_rc1");
        assertThat(IndexRef.select(index, "dev-libs/foo-2x")).extracting(IndexRef::cpv).containsExactly("dev-libs/foo-2x-3");
        assertThat(IndexRef.select(index, "=dev-libs/foo-1.0")).extracting(IndexRef::cpv).containsExactly("dev-libs/foo-1.0");
        assertThat(IndexRef.select(index, "dev-libs/foo-1.0")).extracting(IndexRef::cpv).containsExactly("dev-libs/foo-1.0");
        assertThat(IndexRef.select(index, "=dev-libs/foo")).isEmpty();
        assertThat(IndexRef.select(index, "dev-libs/fo")).isEmpty();
    }
}

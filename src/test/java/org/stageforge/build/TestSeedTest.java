package org.stageforge.build;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** The stand-in seed has what a Gentoo stage3 gives a build: emerge on PATH, a compiler, gtar; and dracut. */
@Tag("seed")
class TestSeedTest {
    @Test
    void seedHasPortageCompilerAndGtar() throws Exception {
        TestSeed.Tarball t = TestSeed.tarball();
        assertThat(TestSeed.sha512(t.path())).isEqualTo(t.sha512());
        SeedRoot r = TestSeed.root();
        assertThat(r.dir().resolve("usr/lib/portage-src/bin/emerge")).isRegularFile();
        assertThat(Files.readString(r.dir().resolve("usr/bin/emerge")))
                .contains("exec python3 /usr/lib/portage-src/bin/emerge \"$@\"");
        assertThat(Files.isExecutable(r.dir().resolve("usr/bin/emerge"))).isTrue();
        assertThat(Files.readSymbolicLink(r.dir().resolve("usr/bin/gtar")).toString()).isEqualTo("tar");
        assertThat(r.dir().resolve("usr/bin/gcc")).exists();
        assertThat(r.dir().resolve("usr/bin/scanelf")).exists();
        assertThat(r.dir().resolve("dev")).isDirectory();
        assertThat(r.dir().resolve("usr/bin/dracut")).exists();
        assertThat(r.dir().resolve("usr/lib/dracut/modules.d/40network/module-setup.sh")).exists();
    }
}

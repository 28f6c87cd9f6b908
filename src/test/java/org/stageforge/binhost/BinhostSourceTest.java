package org.stageforge.binhost;

import org.junit.jupiter.api.Test;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.net.URI;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BinhostSourceTest {
    @Test
    void parsesUrlsAndDirectories() {
        assertThat(BinhostSource.parse("http://127.0.0.1:8080/binpkgs/"))
                .isEqualTo(new BinhostSource.Http(URI.create("http://127.0.0.1:8080/binpkgs")));
        assertThat(BinhostSource.parse("HTTPS://example.org")).isInstanceOf(BinhostSource.Http.class);
        assertThat(BinhostSource.parse("file:///var/cache/binpkgs/"))
                .isEqualTo(new BinhostSource.Local(Path.of("/var/cache/binpkgs")));
        assertThat(BinhostSource.parse("/var/cache/../cache/binpkgs"))
                .isEqualTo(new BinhostSource.Local(Path.of("/var/cache/binpkgs")));
        assertThat(((BinhostSource.Local) BinhostSource.parse("rel/dir")).dir()).isAbsolute();
    }

    @Test
    void refusesOtherSchemesAndQueries() {
        for (String bad : new String[] {"ftp://host/x", "rsync://host/x", "http://host/x?y=1", "http:///nohost", "http://bad host/"}) {
            assertThatThrownBy(() -> BinhostSource.parse(bad)).as(bad).isInstanceOfSatisfying(StageforgeException.class,
                    e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE));
        }
    }
}

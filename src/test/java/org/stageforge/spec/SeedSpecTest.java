package org.stageforge.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code [seed]} table: a stage tarball by path or URL, its digest, optional signed DIGESTS / .asc and keyring. */
class SeedSpecTest {
    private static final String HEX = "ab".repeat(64);
    private static final String BASE = """
            profile = "default/linux/amd64/23.0"
            [stage]
            name = "s"
            version = "1"
            [repo]
            path = "repo"
            """;

    @TempDir
    Path tmp;

    private StageSpec parse(String text) throws IOException {
        Path f = tmp.resolve("spec.toml");
        Files.writeString(f, text);
        return SpecParser.parse(f);
    }

    @Test
    void aSeedByPathNeedsNoBinhost() throws IOException {
        StageSpec s = parse(BASE + "[seed]\npath = \"seeds/stage3.tar.xz\"\nsha512 = \"" + HEX.toUpperCase() + "\"\n");
        assertThat(s.binhosts()).isEmpty();
        assertThat(s.seed()).isEqualTo(new StageSpec.Seed("seeds/stage3.tar.xz", tmp.resolve("seeds/stage3.tar.xz"), null,
                HEX, null, null, null, null));
        assertThat(s.seed().fileName()).isEqualTo("stage3.tar.xz");
        assertThat(s.seed().digest()).isEqualTo("sha512:" + HEX);
        assertThat(s.section("seed")).contains("stage3.tar.xz");
        assertThat(parse(BASE + "[[binhost]]\nurl = \"https://example.org/b\"\n").seed()).isNull();
    }

    @Test
    void aSeedByUrlWithSignedDigestsAndSignature() throws IOException {
        StageSpec s = parse(BASE + """
                [seed]
                url = "https://distfiles.gentoo.org/releases/amd64/autobuilds/20240101T000000Z/stage3-amd64-openrc-20240101T000000Z.tar.xz"
                blake2b = "%s"
                digests = "https://distfiles.gentoo.org/releases/amd64/autobuilds/20240101T000000Z/stage3-amd64-openrc-20240101T000000Z.tar.xz.DIGESTS"
                signature = "keys/stage3.asc"
                keyring = "keys/gentoo-release.asc"
                """.formatted(HEX));
        StageSpec.Seed seed = s.seed();
        assertThat(seed.path()).isNull();
        assertThat(seed.url().getHost()).isEqualTo("distfiles.gentoo.org");
        assertThat(seed.fileName()).isEqualTo("stage3-amd64-openrc-20240101T000000Z.tar.xz");
        assertThat(seed.blake2b()).isEqualTo(HEX);
        assertThat(seed.sha512()).isNull();
        assertThat(seed.digests()).isEqualTo(URI.create(seed.url() + ".DIGESTS"));
        assertThat(seed.signature()).isEqualTo(tmp.resolve("keys/stage3.asc").toUri());
        assertThat(seed.keyring()).isEqualTo(tmp.resolve("keys/gentoo-release.asc"));
    }

    @Test
    void errorsNameTheLineAndTheKey() {
        String seed = BASE + "[seed]\n";
        String sha = "sha512 = \"" + HEX + "\"\n";
        assertThatThrownBy(() -> parse(BASE))
                .isInstanceOf(ParseException.class)
                .hasMessage("spec.toml:1:1: at least one [[binhost]] is required (or a [seed] to build from source)");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\nurl = \"https://h/a.tar\"\n" + sha))
                .hasMessage("spec.toml:7:1: [seed] needs exactly one of path, url");
        assertThatThrownBy(() -> parse(seed + "paht = \"a.tar\"\n" + sha))
                .hasMessage("spec.toml:8:1: unknown key 'paht' in [seed] (did you mean 'path'?)");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\n"))
                .hasMessage("spec.toml:7:1: [seed] needs exactly one of sha512, blake2b");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\nsha521 = \"" + HEX + "\"\n"))
                .hasMessage("spec.toml:9:1: unknown key 'sha521' in [seed] (did you mean 'sha512'?)");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\nsha512 = \"abc\"\n"))
                .hasMessage("spec.toml:9:1: sha512 must be 128 hex digits");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\n" + sha + "digests = \"a.tar.DIGESTS\"\n"))
                .hasMessage("spec.toml:10:1: [seed] digests needs a keyring");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\n" + sha + "signature = \"a.tar.asc\"\n"))
                .hasMessage("spec.toml:10:1: [seed] signature needs a keyring");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\n" + sha + "keyring = \"k.asc\"\n"))
                .hasMessage("spec.toml:10:1: [seed] keyring needs digests or signature");
        assertThatThrownBy(() -> parse(seed + "path = \"a.tar\"\n" + sha + "keyring = \"k.asc\"\nsignatur = \"a.asc\"\n"))
                .hasMessage("spec.toml:11:1: unknown key 'signatur' in [seed] (did you mean 'signature'?)");
        assertThatThrownBy(() -> parse(seed + "url = \"ftp://h/a.tar\"\n" + sha))
                .hasMessage("spec.toml:8:1: url must be an http(s) or file URL without query, or a path: 'ftp://h/a.tar'");
        assertThatThrownBy(() -> parse(seed + "url = \"https://h/\"\n" + sha))
                .hasMessage("spec.toml:8:1: [seed] url must end with the tarball's file name");
        assertThatThrownBy(() -> parse("seed = \"x\"\n" + BASE))
                .hasMessage("spec.toml:1:1: the top level seed: expected a table");
    }
}

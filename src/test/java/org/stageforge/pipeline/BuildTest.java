package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.spec.SpecParser;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BuildTest {
    @TempDir
    Path tmp;

    private Build.Result build(TestStage t, BuildOptions o) {
        return Build.run(SpecParser.parse(t.spec), o, Reporter.silent(o.buildDir().resolve("logs")));
    }

    @Test
    void buildsPublishesAndReusesEveryPart() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        Build.Result r = build(t, o);
        assertThat(r.outcomes()).containsEntry(Part.INSTALL, "done").containsEntry(Part.KERNEL, "skipped");
        Path out = tmp.resolve("out");
        assertThat(out.resolve("tiny-1.0.tar.zst")).exists();
        assertThat(Files.readString(out.resolve("SHA256SUMS"))).contains("  tiny-1.0.tar.zst\n").contains("  tiny-1.0.json\n");
        assertThat(Files.readString(out.resolve("SHA512SUMS"))).contains("  tiny-1.0.tar.zst\n");
        assertThat(out.resolve("SHA256SUMS.gpg")).exists();
        assertThat(Files.readString(out.resolve("tiny-1.0.pub.asc"))).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        com.fasterxml.jackson.databind.JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("tiny-1.0.json").toFile());
        assertThat(manifest.get("inputs").get("binhosts").get(0).get("url").asText()).isEqualTo("binhost");
        assertThat(manifest.get("inputs").get("lock_sha256").asText()).hasSize(64);
        assertThat(manifest.get("artifacts").get("tiny-1.0.tar.zst").asText()).isEqualTo(TestStage.sha256(out.resolve("tiny-1.0.tar.zst")));
        com.fasterxml.jackson.databind.JsonNode hello = manifest.get("packages").get(0);
        assertThat(hello.get("cpv").asText()).isEqualTo("app-misc/hello-1.0");
        assertThat(hello.get("use").toString()).isEqualTo("[\"amd64\",\"systemd\"]");
        assertThat(hello.get("size").asLong()).isEqualTo(21 + 12 + 7);
        assertThat(tmp.resolve("b/root/usr/bin/hello")).exists();
        assertThat(tmp.resolve("b/root/etc/hello-postinst")).hasContent("postinst");
        String first = TestStage.sha256(out.resolve("tiny-1.0.tar.zst"));

        Build.Result again = build(t, o);
        assertThat(again.outcomes().get(Part.FETCH)).isEqualTo("done");
        assertThat(again.outcomes().entrySet()).allMatch(e -> e.getKey() == Part.FETCH
                || e.getValue().equals("reused") || e.getValue().equals("skipped"));
        assertThat(TestStage.sha256(out.resolve("tiny-1.0.tar.zst"))).isEqualTo(first);

        // a fresh build directory gives the same bytes
        build(t, BuildOptions.of(tmp.resolve("b2"), tmp.resolve("out2")));
        assertThat(TestStage.sha256(tmp.resolve("out2/tiny-1.0.tar.zst"))).isEqualTo(first);
        // and the same JSON and sums even from a copy of the spec directory elsewhere
        Path moved = tmp.resolve("elsewhere");
        org.apache.commons.io.file.PathUtils.copyDirectory(tmp.resolve("s"), moved);
        Build.run(SpecParser.parse(moved.resolve("spec.toml")), BuildOptions.of(tmp.resolve("b3"), tmp.resolve("out3")),
                Reporter.silent(tmp.resolve("b3/logs")));
        for (String f : List.of("tiny-1.0.tar.zst", "tiny-1.0.json", "SHA256SUMS", "SHA512SUMS")) {
            assertThat(TestStage.sha256(tmp.resolve("out3").resolve(f))).as(f).isEqualTo(TestStage.sha256(out.resolve(f)));
        }
    }
}

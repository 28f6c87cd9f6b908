package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.index.PackagesIndex;
import org.stageforge.spec.SpecParser;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a first-time user gets told: warnings for things that silently would not do what they meant. */
class FirstUseTest {
    @TempDir
    Path tmp;

    /** Runs a build with a JSON reporter; returns the events. */
    private List<JsonNode> build(TestStage t) throws Exception {
        StringWriter sw = new StringWriter();
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        try (Reporter rep = new Reporter(new PrintWriter(sw), Reporter.Mode.JSON, o.buildDir().resolve("logs"), false, true, 11)) {
            Build.run(SpecParser.parse(t.spec), o, rep);
        }
        List<JsonNode> events = new ArrayList<>();
        for (String l : sw.toString().split("\n")) events.add(new ObjectMapper().readTree(l));
        return events;
    }

    private static List<String> warnings(List<JsonNode> events) {
        List<String> w = new ArrayList<>();
        for (JsonNode e : events) if (e.get("event").asText().equals("warning")) w.add(e.get("message").asText());
        return w;
    }

    @Test
    void misspelledHookDirectoriesAndNonExecutableHooksWarn() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        TestStage.write(tmp.resolve("s/hooks/before-instal.d/10-x"), "#!/bin/sh\ntouch \"$BUILD_DIR/ran\"\n");
        tmp.resolve("s/hooks/before-instal.d/10-x").toFile().setExecutable(true);
        TestStage.write(tmp.resolve("s/hooks/after-install.d/10-noexec"), "#!/bin/sh\ntouch \"$BUILD_DIR/ran\"\n");
        TestStage.write(tmp.resolve("s/hooks/notes.txt"), "x\n");
        List<String> w = warnings(build(t));
        assertThat(w).contains(
                "hooks/after-install.d/10-noexec is not executable and does not run (chmod +x it)",
                "hooks/before-instal.d is not a hook directory and is ignored (did you mean 'before-install.d'?)",
                "hooks/notes.txt is not a hook directory and is ignored (hooks/before-PART.d/ or hooks/after-PART.d/)");
        assertThat(tmp.resolve("b/ran")).doesNotExist();
    }

    @Test
    void deprecatedProfileAndBinhostOfAnotherProfileWarn() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        TestStage.write(tmp.resolve("s/repo/profiles/test/deprecated"), "test/v2\n\nSee the news item.\n");
        Path idx = tmp.resolve("s/binhost/Packages");
        PackagesIndex p = PackagesIndex.read(idx);
        Map<String, String> header = new LinkedHashMap<>(p.header());
        header.put("PROFILE", "default/linux/amd64/23.0");
        List<Map<String, String>> entries = new ArrayList<>();
        for (var e : p.entries()) entries.add(e.fields());
        PackagesIndex.of(header, entries).write(idx);
        List<String> w = warnings(build(t));
        assertThat(w).contains("profile test is deprecated and not supported anymore; upgrade to test/v2",
                "binhost binhost was built for profile 'default/linux/amd64/23.0', the spec uses 'test' "
                        + "(its packages' USE and settings may not fit)");
    }

    @Test
    void packageUseTheBinpkgLacksWarnsOrWithRespectUseIsRefused() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        String spec = Files.readString(t.spec);
        Files.writeString(t.spec, "package_use = [\"app-misc/hello -systemd\", \"sys-apps/baselayout systemd\"]\n" + spec);
        List<String> w = warnings(build(t));
        assertThat(w).containsOnlyOnce("app-misc/hello-1.0: package_use 'app-misc/hello -systemd' wants -systemd, but the "
                + "binary package was built with systemd (binpkg_respect_use = true refuses it)");
        assertThat(w).noneMatch(s -> s.startsWith("sys-apps/baselayout"));
        Files.writeString(t.spec, "binpkg_respect_use = true\npackage_use = [\"app-misc/hello -systemd\"]\n" + spec);
        assertThatThrownBy(() -> build(t)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("app-misc/hello (argument app-misc/hello): no binary instance's USE matches the configuration")
                .satisfies(e -> assertThat(((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.RESOLVE));
    }

    @Test
    void unknownProfileSuggestsTheClosest() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Files.writeString(t.spec, Files.readString(t.spec).replace("profile = \"test\"", "profile = \"tets\""));
        assertThatThrownBy(() -> build(t)).hasMessageEndingWith("profile 'tets' not found in " + tmp.resolve("s/repo")
                + " (did you mean 'test'?)");
    }
}

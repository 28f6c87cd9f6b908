package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.spec.SpecParser;
import org.stageforge.vdb.Vdb;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code system = false} (application images) and {@code package_provided} through a whole build. */
class SystemSetTest {
    @TempDir
    Path tmp;

    private Path build(TestStage t, String name) {
        BuildOptions o = BuildOptions.of(tmp.resolve(name), tmp.resolve(name + "-out"));
        Build.run(SpecParser.parse(t.spec), o, Reporter.silent(o.buildDir().resolve("logs")));
        return tmp.resolve(name + "/root");
    }

    private static TestStage stage(Path dir, String top, String world) throws Exception {
        TestStage t = TestStage.create(dir, "");
        Files.writeString(t.spec, top + Files.readString(t.spec).replace("world = [\"app-misc/hello\"]", "world = [" + world + "]"));
        return t;
    }

    @Test
    void withoutSystemOnlyWorldAndItsRuntimeClosureAreMerged() throws Exception {
        // @system (baselayout) is not a dependency of systemd: only systemd
        Path root = build(stage(tmp.resolve("a"), "system = false\n", "\"sys-apps/systemd\""), "a");
        assertThat(Vdb.open(root).cpvs()).containsExactly("sys-apps/systemd-255");
        // hello's RDEPEND on baselayout still pulls it in
        root = build(stage(tmp.resolve("b"), "system = false\n", "\"app-misc/hello\""), "b");
        assertThat(Vdb.open(root).cpvs()).containsExactlyInAnyOrder("sys-apps/baselayout-2.0", "app-misc/hello-1.0");
        // by default @system is part of the stage
        root = build(stage(tmp.resolve("c"), "", "\"sys-apps/systemd\""), "c");
        assertThat(Vdb.open(root).cpvs()).containsExactlyInAnyOrder("sys-apps/baselayout-2.0", "sys-apps/systemd-255");
    }

    @Test
    void providedPackagesAreNotMergedAndTheirDependentsResolve() throws Exception {
        Path root = build(stage(tmp.resolve("p"), "package_provided = [\"sys-apps/baselayout-2.0\"]\n", "\"app-misc/hello\""), "p");
        assertThat(Vdb.open(root).cpvs()).containsExactly("app-misc/hello-1.0");
        assertThat(root.resolve("etc/os-release")).doesNotExist();
        assertThat(tmp.resolve("p/config/etc/portage/profile/package.provided")).hasContent("sys-apps/baselayout-2.0");
    }
}

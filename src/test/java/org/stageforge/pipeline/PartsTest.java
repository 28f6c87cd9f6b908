package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.spec.SpecParser;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kernel and depclean parts and the git / snapshot repository sources. */
class PartsTest {
    @TempDir
    Path tmp;

    private Build.Result build(TestStage t) {
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        return Build.run(SpecParser.parse(t.spec), o, Reporter.silent(o.buildDir().resolve("logs")));
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void kernelPartInstallsPrebuiltFiles() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[kernel]\nimage = \"vmlinuz\"\ninitramfs = \"initrd\"\nversion = \"6.6.1\"\n");
        Files.writeString(tmp.resolve("s/vmlinuz"), "kernel");
        Files.writeString(tmp.resolve("s/initrd"), "initramfs");
        Build.Result r = build(t);
        assertThat(r.outcomes()).containsEntry(Part.KERNEL, "done");
        assertThat(tmp.resolve("b/root/boot/vmlinuz-6.6.1")).hasContent("kernel");
        assertThat(tmp.resolve("b/root/boot/initramfs-6.6.1.img")).hasContent("initramfs");
        // a new kernel file changes the kernel part's fingerprint
        Files.writeString(tmp.resolve("s/vmlinuz"), "kernel2");
        r = build(t);
        assertThat(r.outcomes()).containsEntry(Part.KERNEL, "done").containsEntry(Part.RESOLVE, "reused");
        assertThat(tmp.resolve("b/root/boot/vmlinuz-6.6.1")).hasContent("kernel2");
    }

    @Test
    void depcleanRemovesPackagesOutsideTheClosure() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        // a hook leaves an extra "installed" package with one file and one shared directory
        Path h = tmp.resolve("s/hooks/after-configure.d/10-extra");
        Files.createDirectories(h.getParent());
        Files.writeString(h, """
                #!/bin/sh
                set -e
                mkdir -p "$ROOT/var/db/pkg/app-misc/extra-1" "$ROOT/opt/extra"
                echo data > "$ROOT/opt/extra/file"
                printf 'dir /opt\\ndir /opt/extra\\nobj /opt/extra/file 6137cde4893c59f76f005a8123d8e8e6 1\\ndir /usr\\n' > "$ROOT/var/db/pkg/app-misc/extra-1/CONTENTS"
                echo 0 > "$ROOT/var/db/pkg/app-misc/extra-1/SLOT"
                """);
        h.toFile().setExecutable(true);
        build(t);
        Path root = tmp.resolve("b/root");
        assertThat(root.resolve("var/db/pkg/app-misc/extra-1")).doesNotExist();
        assertThat(root.resolve("opt")).doesNotExist();
        assertThat(root.resolve("usr/bin/hello")).exists();
        assertThat(Files.readString(tmp.resolve("b/logs/depclean.log"))).contains("depclean removed 1 package(s): app-misc/extra-1");
    }

    @Test
    void binhostFromPackageSourceTrees() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Path src = tmp.resolve("s/pkgs");
        for (String[] p : new String[][] {{"sys-apps", "baselayout-2.0", "", "etc/os-release"}, {"app-misc", "hello-1.0", "sys-apps/baselayout", "usr/bin/hello"}}) {
            Path tree = src.resolve(p[0]).resolve(p[1]);
            for (String[] kv : new String[][] {{"CATEGORY", p[0]}, {"PF", p[1]}, {"SLOT", "0"}, {"EAPI", "8"}, {"KEYWORDS", "amd64"},
                    {"LICENSE", "MIT"}, {"BUILD_TIME", "1700000100"}, {"repository", "gentoo"}, {"RDEPEND", p[2]}, {"BUILD_ID", "1"}}) {
                TestStage.write(tree.resolve("metadata").resolve(kv[0]), kv[1] + "\n");
            }
            TestStage.write(tree.resolve("image").resolve(p[3]), "content of " + p[1] + "\n");
        }
        Files.writeString(t.spec, Files.readString(t.spec).replace("url = \"binhost\"", "sources = \"pkgs\""));
        build(t);
        assertThat(tmp.resolve("b/root/usr/bin/hello")).hasContent("content of hello-1.0");
        assertThat(Files.readString(tmp.resolve("out/tiny-1.0.json"))).contains("\"url\" : \"sources:pkgs\"")
                .contains("\"source_date_epoch\" : 1700000100");
        String first = TestStage.sha256(tmp.resolve("out/tiny-1.0.tar.zst"));
        BuildOptions o = BuildOptions.of(tmp.resolve("b2"), tmp.resolve("out2"));
        Build.run(SpecParser.parse(t.spec), o, Reporter.silent(tmp.resolve("b2/logs")));
        assertThat(TestStage.sha256(tmp.resolve("out2/tiny-1.0.tar.zst"))).isEqualTo(first);
    }

    @Test
    void gitCommitSource() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Path repo = tmp.resolve("s/repo");
        run(repo, "git", "init", "-q");
        run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@e", "add", ".");
        run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "r");
        Process p = new ProcessBuilder("git", "rev-parse", "HEAD").directory(repo.toFile()).start();
        String commit = new String(p.getInputStream().readAllBytes()).strip();
        // later changes in the working tree are not part of the commit
        Files.writeString(repo.resolve("profiles/test/package.mask"), "app-misc/hello\n");
        Files.writeString(t.spec, Files.readString(t.spec).replace("path = \"repo\"", "git = \"repo\"\ncommit = \"" + commit + "\""));
        build(t);
        assertThat(tmp.resolve("b/root/usr/bin/hello")).exists();
        assertThat(Files.readString(tmp.resolve("out/tiny-1.0.json"))).contains("\"repo\" : \"git:" + commit + "\"");
        assertThat(Files.readString(tmp.resolve("b/logs/fetch.log"))).contains("run git clone");
        Build.Result r = build(t);
        assertThat(Files.readString(tmp.resolve("b/logs/fetch.log"))).doesNotContain("run git clone");
        assertThat(r.outcomes()).containsEntry(Part.RESOLVE, "reused").containsEntry(Part.PUBLISH, "reused");
    }

    @Test
    void snapshotSourceIsVerified() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        run(tmp.resolve("s"), "tar", "-cJf", "snap.tar.xz", "--transform", "s,^repo,gentoo-2024,", "repo");
        String sha = TestStage.hex("SHA-512", Files.readAllBytes(tmp.resolve("s/snap.tar.xz")));
        String spec = Files.readString(t.spec);
        Files.writeString(t.spec, spec.replace("path = \"repo\"", "snapshot = \"snap.tar.xz\"\nsha512 = \"" + sha + "\""));
        build(t);
        assertThat(tmp.resolve("b/root/usr/bin/hello")).exists();
        Files.writeString(t.spec, spec.replace("path = \"repo\"", "snapshot = \"snap.tar.xz\"\nsha512 = \"" + "0".repeat(128) + "\""));
        assertThatThrownBy(() -> build(t)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("[repo] snapshot").hasMessageContaining("does not match the spec's 0000000000000000...");
    }
}

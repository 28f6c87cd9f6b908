package org.stageforge.merge;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.StageforgeException;
import org.stageforge.install.BashPhases;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Merges that run pkg_* phases (bash runner in namespaces) on packages the test makes. */
class PhaseMergeTest {
    @TempDir
    Path tmp;
    Path root, build, pkgs;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(tmp.resolve("root"));
        build = tmp.resolve("build");
        pkgs = tmp.resolve("pkgs");
    }

    static byte[] env(String functions) {
        String text = "declare -x EAPI=\"8\"\ndeclare -x USE=\"\"\n" + functions;
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (var out = new BZip2CompressorOutputStream(bos)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    private MergeEngine.Result merge(boolean unprivileged, Path... files) {
        MergeOptions o = MergeOptions.defaults(root).withSync(false).withUnprivileged(unprivileged)
                .withPhases(false, new BashPhases(build, "1700000000")).withBuildDir(build);
        return MergeEngine.merge(new MergeRequest(Stream.of(files).map(f -> new MergeRequest.Item(f, null)).toList(), o));
    }

    private Path editing() throws IOException {
        return TestPackages.xpak("app-misc", "edit-1").meta("DEFINED_PHASES", "postinst preinst")
                .meta("environment.bz2", env("""
                        pkg_preinst() {
                            [[ -d ${ROOT}/tmp && -d ${ROOT}/var/tmp ]] || die "no tmp in ROOT"
                            [[ ! -e ${ROOT}/usr/share/keep ]] || die "merged before pkg_preinst"
                            rm "${ED}/usr/share/Makefile" || die
                            echo new > "${ED}/usr/share/added" || die
                            chmod 0600 "${ED}/usr/share/added" || die
                            ln -s ../run "${ED}/usr/share/link" || die
                            mkdir "${ED}/usr/share/newdir" || die
                            setcap cap_net_raw+ep "${ED}/usr/share/keep" || die
                        }
                        pkg_postinst() {
                            [[ -f ${ROOT}/var/db/pkg/app-misc/edit-1/CONTENTS ]] || die "not in the VDB yet"
                            echo made > "${ROOT}/etc/postinst-made" || die
                            chown 5:6 "${ROOT}/etc/postinst-made" || die
                        }
                        """))
                .dir("usr").dir("usr/share").dir("etc")
                .file("usr/share/keep", "keep\n".getBytes(StandardCharsets.UTF_8), 04750, 7, 8, null)
                .file("usr/share/Makefile", "all:\n")
                .write(pkgs);
    }

    @ParameterizedTest(name = "unprivileged={0}")
    @ValueSource(booleans = {true, false})
    void preinstEditsTheImageThatIsMerged(boolean unprivileged) throws IOException {
        MergeEngine.Result r = merge(unprivileged, editing());

        assertThat(r.packages().get(0).phases()).containsExactly("pkg_preinst", "pkg_postinst");
        assertThat(root.resolve("usr/share/Makefile")).doesNotExist();
        assertThat(root.resolve("usr/share/added")).hasContent("new");
        assertThat(Files.readSymbolicLink(root.resolve("usr/share/link"))).isEqualTo(Path.of("../run"));
        assertThat(root.resolve("usr/share/newdir")).isDirectory();
        List<String> contents = Vdb.open(root).get("app-misc/edit-1").orElseThrow().contents().stream()
                .map(ContentsEntry::path).toList();
        assertThat(contents).contains("/usr/share/added", "/usr/share/link", "/usr/share/newdir", "/usr/share/keep")
                .doesNotContain("/usr/share/Makefile");

        FileTable table = FileTable.load(root);
        // the package's own metadata survives the round trip through the disk; the phase's files are root's
        assertThat(table.get("usr/share/keep")).isEqualTo(new FileTable.Entry('f', 04750, 7, 8, 0, 0,
                Map.of("security.capability", HexFormat.of().parseHex("0100000200200000000000000000000000000000"))));
        assertThat(table.get("usr/share/added")).isEqualTo(new FileTable.Entry('f', 0600, 0, 0, 0, 0, null));
        assertThat(table.get("etc/postinst-made")).extracting(FileTable.Entry::uid, FileTable.Entry::gid)
                .containsExactly(5L, 6L);
        assertThat(table.get("tmp").mode()).isEqualTo(01777);
        assertThat(table.get("var/tmp").mode()).isEqualTo(01777);
        if (!unprivileged) {
            assertThat(Files.getAttribute(root.resolve("usr/share/keep"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(0104750);
            assertThat(Files.getAttribute(root.resolve("etc/postinst-made"), "unix:uid")).isEqualTo(5);
        }
        assertThat(build.resolve("image/app-misc/edit-1")).doesNotExist();
        assertThat(build.resolve("logs/app-misc:edit-1.log")).exists();
    }

    @Test
    void withoutPhasesTheImageIsMergedAsPackaged() throws IOException {
        MergeOptions o = MergeOptions.defaults(root).withSync(false).withBuildDir(build);
        MergeEngine.Result r = MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(editing(), null)), o));
        assertThat(r.skippedPhases()).containsExactly("app-misc/edit-1: pkg_preinst", "app-misc/edit-1: pkg_postinst");
        assertThat(root.resolve("usr/share/Makefile")).exists();
        assertThat(root.resolve("usr/share/added")).doesNotExist();
    }

    @Test
    void accountsSurviveAPostinstThatReplacesTheAccountFiles() throws IOException {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "messagebus:x:101:101:System user:/dev/null:/sbin/nologin\n");
        Files.writeString(root.resolve("etc/group"), "messagebus:x:101:\n");
        Path base = TestPackages.xpak("sys-apps", "base-1").meta("DEFINED_PHASES", "postinst")
                .meta("environment.bz2", env("""
                        pkg_postinst() {
                            local x
                            for x in passwd group; do
                                cp "${ROOT}/usr/share/base/${x}" "${ROOT}/etc/${x}" || die
                            done
                        }
                        """))
                .dir("usr").dir("usr/share").dir("usr/share/base")
                .file("usr/share/base/passwd", "root:x:0:0:root:/root:/bin/bash\n")
                .file("usr/share/base/group", "root:x:0:\nwheel:x:10:root\n")
                .write(pkgs);
        merge(true, base);
        assertThat(root.resolve("etc/passwd")).hasContent("root:x:0:0:root:/root:/bin/bash\n"
                + "messagebus:x:101:101:System user:/dev/null:/sbin/nologin");
        assertThat(root.resolve("etc/group")).hasContent("root:x:0:\nwheel:x:10:root\nmessagebus:x:101:");
    }

    @Test
    void aDyingPreinstLeavesNothingOfThePackage() throws IOException {
        Path bad = TestPackages.xpak("app-misc", "bad-1").meta("DEFINED_PHASES", "preinst")
                .meta("environment.bz2", env("pkg_preinst() { die \"refusing\"; }\n"))
                .dir("usr").file("usr/bad", "bad").write(pkgs);
        assertThatThrownBy(() -> merge(true, bad)).isInstanceOf(StageforgeException.class).hasMessageContaining("refusing");
        assertThat(root.resolve("usr/bad")).doesNotExist();
        assertThat(Vdb.open(root).get("app-misc/bad-1")).isEmpty();
        assertThat(build.resolve("image/app-misc/bad-1")).doesNotExist();
    }

    @Test
    void anImageThatEscapesThroughItsOwnSymlinkIsNotExtracted() throws IOException {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path evil = TestPackages.xpak("app-misc", "evil-1").meta("DEFINED_PHASES", "preinst")
                .meta("environment.bz2", env("pkg_preinst() { :; }\n"))
                .symlink("esc", outside.toString()).file("esc/x", "x").write(pkgs);
        assertThatThrownBy(() -> merge(true, evil)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("refused");
        assertThat(outside.resolve("x")).doesNotExist();
        assertThat(root.resolve("esc")).doesNotExist();
        assertThat(build.resolve("image/app-misc/evil-1")).doesNotExist();
    }

    @Test
    void theEditedImageIsMovedIntoTheRootNotCopied() throws IOException {
        Path pkg = TestPackages.xpak("app-misc", "move-1").meta("DEFINED_PHASES", "preinst")
                .meta("environment.bz2", env("""
                        pkg_preinst() {
                            stat -c %i "${ED}/usr/bin/tool" > "${T}/inode" || die
                            echo edited > "${ED}/usr/bin/other" || die
                        }
                        """))
                .dir("usr").dir("usr/bin")
                .file("usr/bin/tool", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0751, 0, 0, null)
                .file("usr/bin/other", "packaged\n".getBytes(StandardCharsets.UTF_8), 0444, 0, 0, null)
                .write(pkgs);
        merge(true, pkg);
        String inode = Files.readString(build.resolve("app-misc/move-1/temp/inode")).strip();
        assertThat(Files.getAttribute(root.resolve("usr/bin/tool"), "unix:ino").toString()).isEqualTo(inode);
        assertThat(root.resolve("usr/bin/tool")).hasContent("#!/bin/sh");
        assertThat(Files.getAttribute(root.resolve("usr/bin/tool"), "unix:mode")).isEqualTo(0100751);
        assertThat(root.resolve("usr/bin/other")).hasContent("edited");
        // unprivileged, the disk keeps the owner's write access; the file table has the package's mode
        assertThat(Files.getAttribute(root.resolve("usr/bin/other"), "unix:mode")).isEqualTo(0100644);
        assertThat(FileTable.load(root).get("usr/bin/other").mode()).isEqualTo(0444);
        assertThat(Vdb.open(root).get("app-misc/move-1").orElseThrow().contents()).filteredOn(c -> c.path()
                .equals("/usr/bin/other")).extracting(ContentsEntry::md5)
                .containsExactly(HexFormat.of().formatHex(org.stageforge.util.Hashes.of("MD5")
                        .digest("edited\n".getBytes(StandardCharsets.UTF_8))));
        assertThat(build.resolve("image/app-misc/move-1")).doesNotExist();
    }

    @Test
    void aDirectoryOfTheImageMadeASymlinkByPreinstMovesNothingFromOutside() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside/lib"));
        Files.writeString(outside.resolve("data"), "host\n");
        Path pkg = TestPackages.xpak("app-misc", "move-1").meta("DEFINED_PHASES", "preinst")
                .meta("environment.bz2", env("""
                        pkg_preinst() {
                            rm -r "${ED}/usr/lib" || die
                            ln -s OUTSIDE "${ED}/usr/lib" || die
                        }
                        """.replace("OUTSIDE", outside.toString())))
                .dir("usr").dir("usr/bin").dir("usr/lib")
                .file("usr/bin/tool", "#!/bin/sh\n")
                .file("usr/lib/data", "packaged\n")
                .write(pkgs);
        assertThatThrownBy(() -> merge(true, pkg)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("refused");
        assertThat(outside.resolve("data")).hasContent("host");
        assertThat(root.resolve("usr/bin/tool")).doesNotExist();
    }

    @Test
    void theBuildDirectoryMustNotBeInsideTheRoot() throws IOException {
        MergeOptions o = MergeOptions.defaults(root).withSync(false)
                .withPhases(false, new BashPhases(build, null)).withBuildDir(root.resolve("var/tmp/b"));
        Path p = editing();
        assertThatThrownBy(() -> MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(p, null)), o)))
                .hasMessageContaining("must not contain each other");
        assertThat(root.resolve("usr/share/keep")).doesNotExist();
    }
}

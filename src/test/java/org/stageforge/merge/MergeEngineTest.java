package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.archive.TarEntry;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;
import org.stageforge.vdb.WorldFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MergeEngineTest {
    @TempDir
    Path tmp;

    Path root() throws IOException {
        Path r = tmp.resolve("root");
        if (!Files.exists(r)) Files.createDirectories(r);
        return r;
    }

    MergeEngine.Result merge(Path... pkgs) throws IOException {
        return merge(MergeOptions.defaults(root()).withSync(false).withUnprivileged(true), pkgs);
    }

    MergeEngine.Result merge(MergeOptions o, Path... pkgs) {
        return MergeEngine.merge(new MergeRequest(
                java.util.Arrays.stream(pkgs).map(p -> new MergeRequest.Item(p, null)).toList(), o));
    }

    Path pkgs() {
        return tmp.resolve("pkgs");
    }

    String read(String rel) throws IOException {
        return Files.readString(root().resolve(rel));
    }

    Set<String> contents(String cpv) throws IOException {
        return Vdb.open(root()).get(cpv).orElseThrow().contents().stream().map(ContentsEntry::line)
                .collect(Collectors.toSet());
    }

    @Test
    void mergesFilesLinksModesAndRecordsContentsAndWorld() throws IOException {
        Path p = TestPackages.xpak("app-misc", "tool-1")
                .dir("usr").dir("usr/bin").file("usr/bin/tool", "#!/bin/sh\n".getBytes(), 04755, 0, 0, null)
                .hardlink("usr/bin/tool2", "usr/bin/tool").symlink("usr/bin/t", "tool")
                .dir("etc").file("etc/tool.conf", "a=1\n").write(pkgs());
        MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(p, "app-misc/tool")),
                MergeOptions.defaults(root()).withSync(false).withUnprivileged(true)));
        Path r = root();
        assertThat(read("usr/bin/tool")).isEqualTo("#!/bin/sh\n");
        assertThat(Files.readAttributes(r.resolve("usr/bin/tool2"), "unix:ino").get("ino"))
                .isEqualTo(Files.readAttributes(r.resolve("usr/bin/tool"), "unix:ino").get("ino"));
        assertThat(Files.readSymbolicLink(r.resolve("usr/bin/t")).toString()).isEqualTo("tool");
        assertThat(Files.getLastModifiedTime(r.resolve("usr/bin/tool")).toMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(FileTable.load(r).get("usr/bin/tool").mode()).isEqualTo(04755);
        assertThat(contents("app-misc/tool-1")).contains(
                "dir /usr/bin", "obj /usr/bin/tool " + MergeEngine.md5Hex(r.resolve("usr/bin/tool")) + " 1700000000",
                "obj /usr/bin/tool2 " + MergeEngine.md5Hex(r.resolve("usr/bin/tool")) + " 1700000000",
                "sym /usr/bin/t -> tool 1700000000");
        VdbEntry e = Vdb.open(r).get("app-misc/tool-1").orElseThrow();
        assertThat(e.counter()).hasValue(0);
        assertThat(e.binpkgMd5()).hasValue(MergeEngine.md5Hex(p));
        assertThat(e.file("metadata")).isPresent();
        assertThat(WorldFile.read(r).atoms()).containsExactly("app-misc/tool");
    }

    @Test
    void aVerifiedMd5IsRecordedAsGivenAndCountersFollowOnWithinABatch() throws IOException {
        Path a = TestPackages.xpak("app-misc", "a-1").dir("usr").file("usr/a", "a").write(pkgs());
        Path b = TestPackages.xpak("app-misc", "b-1").dir("usr").file("usr/b", "b").write(pkgs());
        String given = "0123456789abcdef0123456789abcdef"; // what a fetch verified: taken, not hashed again
        MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(a, null, given), new MergeRequest.Item(b, null)),
                MergeOptions.defaults(root()).withSync(false).withUnprivileged(true)));
        Vdb vdb = Vdb.open(root());
        assertThat(vdb.get("app-misc/a-1").orElseThrow().binpkgMd5()).hasValue(given);
        assertThat(vdb.get("app-misc/b-1").orElseThrow().binpkgMd5()).hasValue(MergeEngine.md5Hex(b));
        assertThat(vdb.get("app-misc/a-1").orElseThrow().counter()).hasValue(0);
        assertThat(vdb.get("app-misc/b-1").orElseThrow().counter()).hasValue(1);
        assertThat(read("var/cache/edb/counter")).isEqualTo("1");
        // the batch's file table is whole at its end, with no delta left beside it
        assertThat(root().resolve(FileTable.DELTA)).doesNotExist();
        assertThat(FileTable.load(root()).entries()).containsKeys("usr/a", "usr/b");
    }

    // ---- hostile packages: refused, nothing written outside ROOT, ROOT unchanged

    private void assertRefusedUnchanged(Path pkg, String messagePart) throws IOException {
        Map<String, String> before = TreeSnapshot.of(tmp);
        assertThatThrownBy(() -> merge(pkg)).isInstanceOf(StageforgeException.class).hasMessageContaining(messagePart);
        Map<String, String> after = TreeSnapshot.of(tmp);
        assertThat(after).isEqualTo(before);
    }

    @Test
    void listenerHearsOfEachPackageInMergeOrder() throws IOException {
        Path a = TestPackages.xpak("app-misc", "a-1").dir("usr").file("usr/a", "a").write(pkgs().resolve("a"));
        Path b = TestPackages.xpak("app-misc", "b-1").dir("usr").file("usr/b", "b").write(pkgs().resolve("b"));
        List<String> heard = new java.util.ArrayList<>();
        Path root = root();
        MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(b, null), new MergeRequest.Item(a, null)),
                MergeOptions.defaults(root).withSync(false).withUnprivileged(true), r -> {
                    heard.add(r.cpv());
                    // the package is fully merged when the listener hears of it
                    assertThat(Vdb.open(root).cpvs()).contains(r.cpv());
                }));
        assertThat(heard).containsExactly("app-misc/b-1", "app-misc/a-1");
    }

    @Test
    void refusesTraversal() throws IOException {
        merge(TestPackages.xpak("app-misc", "base-1").dir("usr").file("usr/a", "a").write(pkgs()));
        Path evil = TestPackages.xpak("app-misc", "evil-1").dir("usr")
                .raw(TarEntry.of("./usr/../../outside.txt", TarEntry.Type.FILE, 0644, 0, 0, 1, 1, ""), "x".getBytes())
                .write(pkgs());
        assertRefusedUnchanged(evil, "..");
        assertThat(tmp.resolve("outside.txt")).doesNotExist();
    }

    @Test
    void refusesPathsThroughASymlinkOfTheSamePackage() throws IOException {
        merge(TestPackages.xpak("app-misc", "base-1").dir("usr").file("usr/a", "a").write(pkgs()));
        for (String target : List.of("/", "../../..", "/etc")) {
            Path evil = TestPackages.xpak("app-misc", "evil-1").symlink("evil", target).dir("evil/etc")
                    .file("evil/etc/x", "pwned").write(pkgs().resolve(Integer.toString(target.hashCode())));
            assertRefusedUnchanged(evil, "would write through symbolic link evil");
        }
    }

    @Test
    void symlinksAlreadyInRootResolveInsideRoot() throws IOException {
        Path r = root();
        Files.createDirectories(r.resolve("etc"));
        Files.createSymbolicLink(r.resolve("up"), Path.of("../../../.."));
        Files.createSymbolicLink(r.resolve("slash"), Path.of("/"));
        Files.createSymbolicLink(r.resolve("abs"), Path.of("/etc"));
        Path p = TestPackages.xpak("app-misc", "links-1").dir("up").dir("up/etc").file("up/etc/a", "a")
                .dir("slash").dir("slash/etc").file("slash/etc/b", "b")
                .dir("abs").file("abs/c", "c").write(pkgs());
        merge(p);
        assertThat(read("etc/a")).isEqualTo("a");
        assertThat(read("etc/b")).isEqualTo("b");
        assertThat(read("etc/c")).isEqualTo("c");
        assertThat(contents("app-misc/links-1")).contains("obj /up/etc/a " + MergeEngine.md5Hex(r.resolve("etc/a")) + " 1700000000");
    }

    @Test
    void neverFollowsARootSymlinkToTheHost() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside/etc"));
        merge(TestPackages.xpak("app-misc", "base-1").dir("usr").file("usr/a", "a").write(pkgs()));
        // points at an existing host directory that does not exist inside ROOT
        Files.createSymbolicLink(root().resolve("host"), outside.toAbsolutePath());
        Path p = TestPackages.xpak("app-misc", "links-1").dir("host").file("host/c", "c").write(pkgs());
        assertRefusedUnchanged(p, "/host");
        assertThat(outside.resolve("c")).doesNotExist();
    }

    @Test
    void refusesFilesOwnedByAnotherPackageUnlessIdentical() throws IOException {
        merge(TestPackages.xpak("app-misc", "one-1").dir("usr").dir("usr/bin").file("usr/bin/tool", "one")
                .file("usr/bin/same", "same").write(pkgs()));
        Path two = TestPackages.xpak("app-misc", "two-1").dir("usr").dir("usr/bin").file("usr/bin/new", "new")
                .file("usr/bin/tool", "two").write(pkgs());
        assertRefusedUnchanged(two, "/usr/bin/tool (owned by app-misc/one-1)");
        assertThatThrownBy(() -> merge(two)).hasMessageContaining("app-misc/two-1");
        Path three = TestPackages.xpak("app-misc", "three-1").dir("usr").dir("usr/bin").file("usr/bin/same", "same")
                .write(pkgs());
        merge(three);
        assertThat(Vdb.open(root()).cpvs()).contains("app-misc/three-1");
    }

    @Test
    void unownedFilesAreOverwritten() throws IOException {
        Files.createDirectories(root().resolve("usr/bin"));
        Files.writeString(root().resolve("usr/bin/tool"), "stray");
        merge(TestPackages.xpak("app-misc", "one-1").dir("usr").dir("usr/bin").file("usr/bin/tool", "one").write(pkgs()));
        assertThat(read("usr/bin/tool")).isEqualTo("one");
    }

    @Test
    void failureWhileWritingRestoresTheRoot() throws IOException {
        merge(TestPackages.xpak("app-misc", "tool-1").dir("usr").dir("usr/bin").file("usr/bin/tool", "v1")
                .file("usr/bin/old", "old").dir("etc").file("etc/tool.conf", "c1").write(pkgs()));
        Path v2 = TestPackages.xpak("app-misc", "tool-2").dir("usr").dir("usr/bin").file("usr/bin/tool", "v2")
                .dir("usr/share").dir("usr/share/tool").file("usr/share/tool/data", "d")
                .dir("etc").file("etc/tool.conf", "c2").file("etc/zzz", "last").write(pkgs());
        Map<String, String> before = TreeSnapshot.of(tmp);
        MergeOptions o = MergeOptions.defaults(root()).withSync(false).withUnprivileged(true);
        assertThatThrownBy(() -> MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(v2, null)), o),
                rel -> {
                    if (rel.equals("etc/zzz")) throw new IllegalStateException("disk full (simulated)");
                })).isInstanceOf(StageforgeException.class).hasMessageContaining("root restored");
        assertThat(TreeSnapshot.of(tmp)).isEqualTo(before);
    }

    // ---- replacing an installed version

    @Test
    void upgradeRemovesFilesTheNewVersionLacks() throws IOException {
        merge(TestPackages.xpak("app-misc", "tool-1").dir("usr").dir("usr/bin").file("usr/bin/tool", "v1")
                .file("usr/bin/gone", "g").dir("usr/share").dir("usr/share/tool").file("usr/share/tool/x", "x")
                .symlink("usr/bin/oldlink", "tool").write(pkgs()));
        Files.writeString(root().resolve("usr/share/tool/local"), "keep me");
        MergeEngine.Result r = merge(TestPackages.xpak("app-misc", "tool-2").dir("usr").dir("usr/bin")
                .file("usr/bin/tool", "v2").write(pkgs()));
        assertThat(r.packages().get(0).replaced()).isEqualTo("app-misc/tool-1");
        assertThat(root().resolve("usr/bin/gone")).doesNotExist();
        assertThat(root().resolve("usr/bin/oldlink")).doesNotExist();
        assertThat(root().resolve("usr/share/tool/x")).doesNotExist();
        assertThat(root().resolve("usr/share/tool/local")).hasContent("keep me");
        assertThat(read("usr/bin/tool")).isEqualTo("v2");
        assertThat(Vdb.open(root()).cpvs()).containsExactly("app-misc/tool-2");
        assertThat(r.packages().get(0).removed()).contains("/usr/bin/gone", "/usr/share/tool/x")
                .doesNotContain("/usr/share/tool");
        assertThat(FileTable.load(root()).get("usr/bin/gone")).isNull();
    }

    @Test
    void otherSlotsAreNotReplaced() throws IOException {
        merge(TestPackages.xpak("dev-lang", "lang-1").meta("SLOT", "1").dir("usr").file("usr/l1", "1").write(pkgs()));
        merge(TestPackages.xpak("dev-lang", "lang-2").meta("SLOT", "2/2.1").dir("usr").file("usr/l2", "2").write(pkgs()));
        assertThat(Vdb.open(root()).cpvs()).containsExactly("dev-lang/lang-1", "dev-lang/lang-2");
        assertThat(root().resolve("usr/l1")).exists();
    }

    // ---- CONFIG_PROTECT, the four steps of portage-expected/install/config-protect/config-protect.txt

    Path oracle(String version, String oracleConf, String other, String third) throws IOException {
        return TestPackages.xpak("app-misc", "oracle-" + version).dir("etc").dir("etc/oracle")
                .file("etc/oracle/oracle.conf", oracleConf).file("etc/oracle/other.conf", other)
                .file("etc/oracle/third.conf", third).write(pkgs().resolve(version + oracleConf.hashCode()));
    }

    Map<String, String> etcOracle() throws IOException {
        Map<String, String> m = new java.util.TreeMap<>();
        try (var s = Files.list(root().resolve("etc/oracle"))) {
            for (Path p : s.toList()) m.put(p.getFileName().toString(), Files.readString(p));
        }
        return m;
    }

    @Test
    void configProtectFollowsPortage() throws IOException {
        Files.createDirectories(root().resolve("etc/oracle"));
        Files.writeString(root().resolve("etc/oracle/oracle.conf"), "setting=local-admin\n");
        Files.writeString(root().resolve("etc/oracle/other.conf"), "other=1\n");
        Path v1 = oracle("1", "setting=packaged-1\n", "other=1\n", "third=1\n");
        // 1) install: differing pre-existing file gets ._cfg0000_, identical one nothing
        MergeEngine.Result r = merge(v1);
        assertThat(r.packages().get(0).configUpdates()).containsExactly("/etc/oracle/._cfg0000_oracle.conf");
        Map<String, String> step1 = Map.of("._cfg0000_oracle.conf", "setting=packaged-1\n",
                "oracle.conf", "setting=local-admin\n", "other.conf", "other=1\n", "third.conf", "third=1\n");
        assertThat(etcOracle()).isEqualTo(step1);
        String mem = read("var/lib/portage/config");
        assertThat(mem).isEqualTo("/etc/oracle/oracle.conf " + md5("setting=packaged-1\n") + "\n"
                + "/etc/oracle/other.conf " + md5("other=1\n") + "\n");
        assertThat(contents("app-misc/oracle-1")).contains("obj /etc/oracle/oracle.conf " + md5("setting=packaged-1\n") + " 1700000000");
        // 2) reinstall: nothing new
        merge(v1);
        assertThat(etcOracle()).isEqualTo(step1);
        assertThat(read("var/lib/portage/config")).isEqualTo(mem);
        // 3) edit other.conf, reinstall: the edit stays, no ._cfg (the update was seen before)
        Files.writeString(root().resolve("etc/oracle/other.conf"), "other=edited\n");
        merge(v1);
        Map<String, String> step3 = new java.util.TreeMap<>(step1);
        step3.put("other.conf", "other=edited\n");
        assertThat(etcOracle()).isEqualTo(step3);
        // 4) upgrade: modified files get new ._cfg files, the unmodified one is replaced
        merge(oracle("2", "setting=packaged-2\n", "other=2\n", "third=2\n"));
        assertThat(etcOracle()).isEqualTo(Map.of("._cfg0000_oracle.conf", "setting=packaged-1\n",
                "._cfg0000_other.conf", "other=2\n", "._cfg0001_oracle.conf", "setting=packaged-2\n",
                "oracle.conf", "setting=local-admin\n", "other.conf", "other=edited\n", "third.conf", "third=2\n"));
        assertThat(read("var/lib/portage/config")).isEqualTo("/etc/oracle/oracle.conf " + md5("setting=packaged-2\n")
                + "\n/etc/oracle/other.conf " + md5("other=2\n") + "\n");
        assertThat(contents("app-misc/oracle-2")).contains("obj /etc/oracle/third.conf " + md5("third=2\n") + " 1700000000");
    }

    @Test
    void configProtectMaskWins() throws IOException {
        Files.createDirectories(root().resolve("etc/env.d"));
        Files.writeString(root().resolve("etc/env.d/50x"), "old\n");
        merge(TestPackages.xpak("app-misc", "envd-1").dir("etc").dir("etc/env.d").file("etc/env.d/50x", "A=1\n")
                .write(pkgs()));
        assertThat(read("etc/env.d/50x")).isEqualTo("A=1\n");
        assertThat(root().resolve("etc/env.d/._cfg0000_50x")).doesNotExist();
    }

    @Test
    void accountFilesKeepCreatedEntries() throws IOException {
        Files.createDirectories(root().resolve("etc"));
        Files.writeString(root().resolve("etc/group"), "messagebus:x:101:\n");
        merge(TestPackages.xpak("sys-apps", "baselayout-2").dir("etc").file("etc/group", "root:x:0:\nwheel:x:10:root\n")
                .write(pkgs()));
        assertThat(read("etc/group")).isEqualTo("root:x:0:\nwheel:x:10:root\nmessagebus:x:101:\n");
        assertThat(root().resolve("etc/._cfg0000_group")).doesNotExist();
    }

    // ---- special files as a normal user

    @Test
    void specialFilesGoToTheFileTableWhenUnprivileged() throws IOException {
        byte[] cap = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        merge(TestPackages.xpak("app-misc", "nodes-1").dir("var").dir("var/spool").fifo("var/spool/fifo", 0620)
                .dir("dev").chardev("dev/null-clone", 0666, 1, 3)
                .dir("usr").dir("usr/bin").file("usr/bin/ping", "elf".getBytes(), 04711, 0, 0, Map.of("security.capability", cap))
                .file("usr/bin/helper", "h".getBytes(), 04750, 0, 101, null).write(pkgs()));
        FileTable t = FileTable.load(root());
        assertThat(t.get("var/spool/fifo")).isEqualTo(new FileTable.Entry('p', 0620, 0, 0, 0, 0, null));
        assertThat(t.get("dev/null-clone")).isEqualTo(new FileTable.Entry('c', 0666, 0, 0, 1, 3, null));
        assertThat(t.get("usr/bin/ping").xattrs().get("security.capability")).containsExactly(cap);
        assertThat(t.get("usr/bin/helper")).isEqualTo(new FileTable.Entry('f', 04750, 0, 101, 0, 0, null));
        // unprivileged: the device is a placeholder on disk, the fifo real
        assertThat(Files.isRegularFile(root().resolve("dev/null-clone"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readAttributes(root().resolve("var/spool/fifo"), "unix:mode", LinkOption.NOFOLLOW_LINKS)
                .get("mode")).matches(m -> ((Integer) m & 0170000) == 0010000);
        assertThat(contents("app-misc/nodes-1")).contains("fif /var/spool/fifo", "dev /dev/null-clone");
        assertThat(FileTable.parse("t", t.render()).entries()).isEqualTo(t.entries());
    }

    @Test
    void asRootEverythingIsMaterializedOnDisk() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(PosixOps.system().privileged(), "needs uid 0");
        byte[] cap = java.util.HexFormat.of().parseHex("0100000200200000000000000000000000000000");
        MergeOptions o = MergeOptions.defaults(root()).withSync(true).withUnprivileged(false);
        merge(o, TestPackages.xpak("app-misc", "nodes-1").dir("dev").chardev("dev/null-clone", 0666, 1, 3)
                .dir("usr").dir("usr/bin").file("usr/bin/ping", "elf".getBytes(), 04711, 0, 0, Map.of("security.capability", cap))
                .file("usr/bin/helper", "h".getBytes(), 02750, 7, 101, null).dir("tmp", 01777).write(pkgs()));
        Path r = root();
        Map<String, Object> dev = Files.readAttributes(r.resolve("dev/null-clone"), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        assertThat((Integer) dev.get("mode")).isEqualTo(0020666);
        assertThat((Long) dev.get("rdev")).isEqualTo(PosixOps.Native0.makedev(1, 3));
        Map<String, Object> helper = Files.readAttributes(r.resolve("usr/bin/helper"), "unix:mode,uid,gid");
        assertThat((Integer) helper.get("mode") & 07777).isEqualTo(02750);
        assertThat(helper.get("uid")).isEqualTo(7);
        assertThat(helper.get("gid")).isEqualTo(101);
        assertThat((Integer) Files.getAttribute(r.resolve("tmp"), "unix:mode") & 07777).isEqualTo(01777);
        assertThat((Integer) Files.getAttribute(r.resolve("usr/bin/ping"), "unix:mode") & 07777).isEqualTo(04711);
        Process p = new ProcessBuilder("getcap", r.resolve("usr/bin/ping").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertThat(out).contains("cap_net_raw");
    }

    @Test
    void installMaskLeavesFilesOutAndRemovesEmptyMaskedDirs() throws IOException {
        MergeOptions o = MergeOptions.defaults(root()).withSync(false).withUnprivileged(true)
                .withInstallMask(InstallMask.parse("@systemd /usr/share/doc -/usr/share/doc/keep", InstallMaskSets.defaults()));
        MergeEngine.Result r = merge(o, TestPackages.xpak("app-misc", "m-1").dir("usr").dir("usr/lib")
                .dir("usr/lib/systemd").dir("usr/lib/systemd/system").file("usr/lib/systemd/system/x.service", "s")
                .dir("usr/share").dir("usr/share/doc").dir("usr/share/doc/m").file("usr/share/doc/m/README", "r")
                .file("usr/share/doc/keep", "k").file("usr/lib/libm.so", "l").write(pkgs()));
        assertThat(root().resolve("usr/lib/systemd")).doesNotExist();
        assertThat(root().resolve("usr/share/doc/m")).doesNotExist();
        assertThat(read("usr/share/doc/keep")).isEqualTo("k");
        Set<String> c = contents("app-misc/m-1");
        assertThat(c).noneMatch(l -> l.contains("systemd") || l.contains("/doc/m"));
        assertThat(c).contains("dir /usr/share/doc", "dir /usr/lib");
        assertThat(r.packages().get(0).masked()).contains("/usr/lib/systemd/system/x.service", "/usr/lib/systemd");
        assertThat(Vdb.open(root()).get("app-misc/m-1").orElseThrow().text("INSTALL_MASK"))
                .hasValue("@systemd /usr/share/doc -/usr/share/doc/keep\n");
    }

    @Test
    void hardLinksToAMaskedFileKeepItsContent() throws IOException {
        MergeOptions o = MergeOptions.defaults(root()).withSync(false).withUnprivileged(true)
                .withInstallMask(InstallMask.parse("/usr/share/doc", InstallMaskSets.defaults()));
        merge(o, TestPackages.xpak("app-misc", "hl-1").dir("usr").dir("usr/share").dir("usr/share/doc")
                .file("usr/share/doc/a", "data").dir("usr/bin").hardlink("usr/bin/a", "usr/share/doc/a")
                .hardlink("usr/bin/b", "usr/share/doc/a").write(pkgs()));
        Path r = root();
        assertThat(r.resolve("usr/share/doc")).doesNotExist();
        assertThat(read("usr/bin/a")).isEqualTo("data");
        assertThat(Files.readAttributes(r.resolve("usr/bin/b"), "unix:ino").get("ino"))
                .isEqualTo(Files.readAttributes(r.resolve("usr/bin/a"), "unix:ino").get("ino"));
        assertThat(contents("app-misc/hl-1")).contains("obj /usr/bin/a " + md5("data") + " 1700000000",
                "obj /usr/bin/b " + md5("data") + " 1700000000").noneMatch(l -> l.contains("/doc"));
    }

    @Test
    void phasesAreListedAsSkipped() throws IOException {
        MergeEngine.Result r = merge(TestPackages.xpak("app-misc", "ph-1").meta("DEFINED_PHASES", "compile install postinst preinst setup")
                .dir("usr").write(pkgs()));
        assertThat(r.skippedPhases()).containsExactly("app-misc/ph-1: pkg_setup", "app-misc/ph-1: pkg_preinst",
                "app-misc/ph-1: pkg_postinst");
        assertThat(r.ldconfig()).startsWith("skipped");
    }

    @Test
    void phaseRunnerIsCalledAroundTheMerge() throws IOException {
        List<String> calls = new java.util.ArrayList<>();
        PhaseRunner runner = (pkg, phase, env) -> {
            calls.add(phase + " " + pkg.cpv() + " " + Files.exists(Path.of(env.get("ROOT"), "usr/x")));
            return new PhaseRunner.Result(0, null);
        };
        MergeOptions o = new MergeOptions(root(), "/etc", "", null, true, false, false, runner, true, false, null);
        merge(o, TestPackages.xpak("app-misc", "ph-1").meta("DEFINED_PHASES", "postinst preinst").dir("usr")
                .file("usr/x", "x").write(pkgs()));
        assertThat(calls).containsExactly("pkg_preinst app-misc/ph-1 false", "pkg_postinst app-misc/ph-1 true");
    }

    @Test
    void filesGetTheirExactModesWhateverTheUmaskAndAFileMayPrecedeItsDirectory() throws IOException {
        // spool files are created with their final permission bits and chmod'ed only when the umask cut them; the
        // directory listed after its file was made for that file and must then be left as it is, not created again
        Path p = TestPackages.xpak("app-misc", "modes-1")
                .dir("etc")
                .file("late/inner", "x".getBytes(StandardCharsets.UTF_8), 0640, 0, 0, null)
                .dir("late", 0750)
                .file("etc/a", "a".getBytes(StandardCharsets.UTF_8), 0777, 0, 0, null)
                .file("etc/b", "b".getBytes(StandardCharsets.UTF_8), 0664, 0, 0, null)
                .file("etc/c", "c".getBytes(StandardCharsets.UTF_8), 0400, 0, 0, null)
                .file("etc/d", "d".getBytes(StandardCharsets.UTF_8), 02755, 0, 0, null)
                .write(pkgs());
        merge(p);
        Path r = root();
        Map<String, Integer> disk = new java.util.TreeMap<>();
        for (String f : List.of("late/inner", "etc/a", "etc/b", "etc/c", "etc/d")) {
            disk.put(f, (Integer) Files.getAttribute(r.resolve(f), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        }
        // unprivileged: the real mode without setuid/setgid, the owner keeping read and write; the table has the truth
        assertThat(disk).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of("late/inner", 0640, "etc/a", 0777,
                "etc/b", 0664, "etc/c", 0600, "etc/d", 0755)));
        assertThat(FileTable.load(r).get("etc/d").mode()).isEqualTo(02755);
        assertThat(FileTable.load(r).get("etc/c").mode()).isEqualTo(0400);
        assertThat(read("late/inner")).isEqualTo("x");
        assertThat(contents("app-misc/modes-1")).contains("dir /late");
    }

    static String md5(String s) {
        return java.util.HexFormat.of().formatHex(MergeEngine.md5().digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}

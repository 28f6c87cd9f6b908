package org.stageforge.phase;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Phases of packages whose saved environment the test writes itself. */
class PhaseRunnerTest {
    @TempDir
    Path tmp;
    Path root;
    Path build;
    final BashPhaseRunner runner = new BashPhaseRunner();

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(tmp.resolve("root"));
        build = Files.createDirectories(tmp.resolve("build"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0::/root:/bin/bash\nmessagebus:x:101:102::/dev/null:/sbin/nologin\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nmessagebus:x:102:\naudio:x:18:\n");
    }

    /** A saved environment as Portage writes it: variables as `declare -p`, then functions. */
    static byte[] env(String eapi, String use, String functions) {
        String text = "declare -x EAPI=\"" + eapi + "\"\n"
                + "declare -x USE=\"" + use + "\"\n"
                + "declare -x IUSE_EFFECTIVE=\"build foo bar kernel_linux\"\n"
                + "declare -x SAVED_VAR=\"from the package\"\n"
                + "declare -a SAVED_ARRAY=([0]=\"a b\" [1]=\"c\")\n"
                // a stale copy of a Portage helper, as saved environments carry: must not win
                + "use () \n{ \n    return 0\n}\n"
                + functions;
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (var out = new BZip2CompressorOutputStream(bos)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    PhaseContext ctx(String pf, String eapi, String use, String phases, String functions) {
        return new PhaseContext("app-misc", pf, "0", use, eapi, "gentoo", phases, env(eapi, use, functions),
                root, build, null, List.of(), null, "1700000000");
    }

    @Test
    void postinstUsesHelpersAndWritesIntoRoot() throws IOException {
        vdbEntry("sys-apps/baselayout-2.13-r1", "0", "gentoo", "build kernel_linux");
        vdbEntry("dev-libs/foo-1.2.3", "1/1.2", "gentoo", "x");
        vdbEntry("dev-libs/foo-2.0", "2", "other", "");
        vdbEntry("dev-libs/foo-bar-3", "0", "gentoo", "");
        vdbEntry("x11-libs/gtk+-2.24.33", "2", "gentoo", "");
        String fn = """
                pkg_postinst() {
                    use foo && echo foo-on > "${ROOT}/etc/foo"
                    use bar && echo bar-on > "${ROOT}/etc/bar"
                    has_version '>=sys-apps/baselayout-2.13' && echo yes > "${ROOT}/etc/has-baselayout"
                    has_version 'sys-apps/systemd' && echo yes > "${ROOT}/etc/has-systemd"
                    has_version 'x11-libs/gtk+:2' && ! has_version '>=dev-libs/foo-3' && echo yes > "${ROOT}/etc/has-gtk"
                    best_version 'dev-libs/foo' > "${ROOT}/etc/best-foo"
                    best_version 'dev-libs/foo:1' > "${ROOT}/etc/best-foo1"
                    ver_test 2.10 -gt 2.9 && echo ok > "${ROOT}/etc/vertest"
                    echo "$(ver_cut 1-2 1.2.3_rc4) $(ver_rs 1- _ 1.2.3) ${PN} ${PV} ${PR} ${P} ${PVR} ${MERGE_TYPE} ${EBUILD_PHASE_FUNC}" > "${ROOT}/etc/vars"
                    echo "${SAVED_VAR} ${SAVED_ARRAY[0]} ${D-unset} ${WORKDIR-unset} ${HOME} ${SOURCE_DATE_EPOCH}" > "${ROOT}/etc/saved"
                    einfo "an info"
                    elog "a log line"
                    ewarn "a warning"
                    ewarn "$(printf 'two\nlines')"
                    eerror "an error"
                    false
                }
                """;
        PhaseResult r = runner.run(ctx("demo-1.0-r2", "8", "foo kernel_linux", "postinst", fn), "postinst");

        assertThat(r.ran()).isTrue();
        assertThat(r.exitStatus()).isZero();
        assertThat(read("etc/foo")).isEqualTo("foo-on");
        assertThat(root.resolve("etc/bar")).doesNotExist();
        assertThat(read("etc/has-baselayout")).isEqualTo("yes");
        assertThat(root.resolve("etc/has-systemd")).doesNotExist();
        assertThat(read("etc/has-gtk")).isEqualTo("yes");
        assertThat(read("etc/best-foo")).isEqualTo("dev-libs/foo-2.0");
        assertThat(read("etc/best-foo1")).isEqualTo("dev-libs/foo-1.2.3");
        assertThat(read("etc/vertest")).isEqualTo("ok");
        assertThat(read("etc/vars")).isEqualTo("1.2 1_2_3 demo 1.0 r2 demo-1.0 1.0-r2 binary pkg_postinst");
        Path temp = build.resolve("app-misc/demo-1.0-r2/temp").toRealPath();
        assertThat(read("etc/saved")).isEqualTo("from the package a b unset unset " + temp + " 1700000000");
        assertThat(r.messages(ElogMessage.Level.INFO)).containsExactly("an info");
        assertThat(r.messages(ElogMessage.Level.LOG)).containsExactly("a log line");
        assertThat(r.messages(ElogMessage.Level.WARN)).containsExactly("a warning", "two", "lines");
        assertThat(r.messages(ElogMessage.Level.ERROR)).containsExactly("an error");
        Path log = build.resolve("logs/app-misc:demo-1.0-r2.log");
        assertThat(r.log()).isEqualTo(log.toRealPath());
        assertThat(Files.readString(log)).contains("pkg_postinst of app-misc/demo-1.0-r2", " * a warning", " * an info");
    }

    @Test
    void rootFollowsTheEapiSlashRules() throws IOException {
        String fn = "pkg_postinst() { echo \"[${ROOT}] [${EROOT}] [${EPREFIX}]\" > \"${ROOT%/}/etc/r\"; }\n";
        runner.run(ctx("seven-1", "7", "", "postinst", fn), "postinst");
        String real = root.toRealPath().toString();
        assertThat(read("etc/r")).isEqualTo("[" + real + "] [" + real + "] []");
        runner.run(ctx("six-1", "6", "", "postinst", fn), "postinst");
        assertThat(read("etc/r")).isEqualTo("[" + real + "/] [" + real + "/] []");
    }

    @Test
    void undefinedPhaseDoesNotRun() {
        PhaseResult r = runner.run(ctx("demo-1", "8", "", "install postinst", "pkg_postinst() { :; }\n"), "preinst");
        assertThat(r.ran()).isFalse();
        assertThat(build.resolve("logs")).doesNotExist();
    }

    @Test
    void dieFailsThePhaseWithItsMessage() {
        String fn = "pkg_postinst() { echo before; die \"broken thing\"; echo after > \"${ROOT}/etc/after\"; }\n";
        assertThatThrownBy(() -> runner.run(ctx("bad-1", "8", "", "postinst", fn), "postinst"))
                .isInstanceOfSatisfying(PhaseException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("app-misc/bad-1: pkg_postinst failed: died: broken thing");
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.logTail()).contains("before", "broken thing");
                });
        assertThat(root.resolve("etc/after")).doesNotExist();
    }

    @Test
    void dieInsideACommandSubstitutionStillFails() {
        String fn = "pkg_postinst() { local x=$(die \"in a subshell\"); echo after > \"${ROOT}/etc/after\"; }\n";
        assertThatThrownBy(() -> runner.run(ctx("bad-2", "8", "", "postinst", fn), "postinst"))
                .isInstanceOf(PhaseException.class).hasMessageContaining("died: in a subshell");
        assertThat(root.resolve("etc/after")).doesNotExist();
    }

    @Test
    void nonfatalAndExitStatus() throws IOException {
        String ok = "pkg_postinst() { nonfatal die -n soft || echo survived > \"${ROOT}/etc/nf\"; }\n";
        runner.run(ctx("nf-1", "8", "", "postinst", ok), "postinst");
        assertThat(read("etc/nf")).isEqualTo("survived");
        String exit = "pkg_postinst() { exit 3; }\n";
        assertThatThrownBy(() -> runner.run(ctx("ex-1", "8", "", "postinst", exit), "postinst"))
                .isInstanceOf(PhaseException.class).hasMessage("app-misc/ex-1: pkg_postinst failed: exit status 3");
    }

    @Test
    void ownershipIsResolvedInRootAndRecorded() throws IOException {
        Files.writeString(root.resolve("etc/conf"), "x");
        // an absolute link inside ROOT points into ROOT, not at the host's /etc
        Files.createSymbolicLink(root.resolve("etc/abs"), Path.of("/etc/conf"));
        Files.createDirectories(root.resolve("usr/lib"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        Files.writeString(root.resolve("usr/lib/libx.so"), "x");
        String fn = """
                pkg_postinst() {
                    chown messagebus:audio "${EROOT}/etc/conf" || die
                    chgrp messagebus "${EROOT}/etc/conf" || die
                    chmod 0640 "${EROOT}/etc/conf" || die
                    chmod u+s "${EROOT}/etc/conf" || die
                    mkdir -p "${EROOT}/var/lib/x/y" && chown -R 101:102 "${EROOT}/var/lib/x" || die
                    chown nosuchuser "${EROOT}/etc/conf" && die "unknown user accepted"
                    mknod -m 0600 "${EROOT}/dev-console" c 5 1 || die
                    setcap cap_net_raw+ep "${EROOT}/etc/conf" || die
                    setcap -v cap_net_raw+ep "${EROOT}/etc/conf" > /dev/null || die "verify failed"
                    setcap -v cap_chown+ep "${EROOT}/etc/conf" && die "verify of other caps passed"
                    setcap -r "${EROOT}/etc/conf" || die
                    chown 5:6 "${EROOT}/etc/abs" "${EROOT}/lib/../lib/libx.so" || die
                    chmod 0600 "${EROOT}/etc/abs" || die
                }
                """;
        PhaseResult r = runner.run(ctx("own-1", "8", "", "postinst", fn), "postinst");
        assertThat(r.intents()).containsExactly(
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.ROOT, "etc/conf", "101:18"),
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.ROOT, "etc/conf", "-1:102"),
                new FileIntent(FileIntent.Op.CHMOD, FileIntent.Scope.ROOT, "etc/conf", "0640"),
                new FileIntent(FileIntent.Op.CHMOD, FileIntent.Scope.ROOT, "etc/conf", "4640"),
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.ROOT, "var/lib/x", "101:102"),
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.ROOT, "var/lib/x/y", "101:102"),
                new FileIntent(FileIntent.Op.MKNOD, FileIntent.Scope.ROOT, "dev-console", "c 5 1 0600"),
                new FileIntent(FileIntent.Op.SETCAP, FileIntent.Scope.ROOT, "etc/conf", "cap_net_raw+ep"),
                new FileIntent(FileIntent.Op.SETCAP, FileIntent.Scope.ROOT, "etc/conf", ""),
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.ROOT, "etc/conf", "5:6"),
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.ROOT, "usr/lib/libx.so", "5:6"),
                new FileIntent(FileIntent.Op.CHMOD, FileIntent.Scope.ROOT, "etc/conf", "0600"));
        assertThat(Files.getAttribute(root.resolve("etc/conf"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(0600 | 0100000);
        if (BashPhaseRunner.privileged()) {
            assertThat(Files.getAttribute(root.resolve("etc/conf"), "unix:uid")).isEqualTo(5);
            assertThat(Files.getAttribute(root.resolve("etc/conf"), "unix:gid")).isEqualTo(6);
            assertThat(Files.getAttribute(root.resolve("usr/lib/libx.so"), "unix:uid")).isEqualTo(5);
            assertThat(Files.getAttribute(root.resolve("var/lib/x/y"), "unix:uid")).isEqualTo(101);
        }
    }

    @Test
    void preinstChangesTheImageAndStateCarriesToPostinst() throws IOException {
        Path image = Files.createDirectories(tmp.resolve("image/usr/share/demo")).getParent().getParent().getParent();
        Files.writeString(image.resolve("usr/share/demo/Makefile"), "all:\n");
        String fn = """
                pkg_preinst() {
                    [[ -f ${ED}/usr/share/demo/Makefile ]] || die "no image"
                    rm -f "${ED}"/usr/share/demo/Makefile || die
                    dosym ../run/lock /var/lock
                    keepdir /var/empty
                    fowners messagebus /var/empty
                    STATE_FROM_PREINST=kept
                }
                pkg_postinst() {
                    echo "${D-unset} ${ED-unset} ${STATE_FROM_PREINST}" > "${ROOT}/etc/post"
                }
                """;
        PhaseContext c = ctx("img-1", "8", "", "preinst postinst", fn).withImage(image);
        PhaseResult pre = runner.run(c, "preinst");
        assertThat(image.resolve("usr/share/demo/Makefile")).doesNotExist();
        assertThat(Files.readSymbolicLink(image.resolve("var/lock"))).isEqualTo(Path.of("../run/lock"));
        assertThat(image.resolve("var/empty/.keep_app-misc_img-0")).exists();
        assertThat(pre.intents()).containsExactly(
                new FileIntent(FileIntent.Op.CHOWN, FileIntent.Scope.IMAGE, "var/empty", "101:-1"));
        runner.run(c.withImage(null), "postinst");
        assertThat(read("etc/post")).isEqualTo("unset unset kept");
        runner.run(c, "postinst");
        String d = image.toRealPath().toString();
        assertThat(read("etc/post")).isEqualTo(d + " " + d + " kept");
    }

    @Test
    void hostEnvironmentDoesNotLeak() throws IOException {
        String fn = "pkg_postinst() { env > \"${ROOT}/etc/env\"; }\n";
        runner.run(ctx("env-1", "8", "", "postinst", fn), "postinst");
        Map<String, String> seen = new TreeMap<>();
        for (String line : Files.readAllLines(root.resolve("etc/env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) seen.put(line.substring(0, eq), line.substring(eq + 1));
        }
        List<String> allowed = List.of("PATH", "HOME", "LC_ALL", "TZ", "PWD", "SHLVL", "_", "OLDPWD");
        for (var e : System.getenv().entrySet()) {
            if (allowed.contains(e.getKey())) continue;
            assertThat(seen.get(e.getKey())).as("host variable " + e.getKey()).isNotEqualTo(e.getValue());
        }
        assertThat(seen.get("SAVED_VAR")).isEqualTo("from the package");
        assertThat(seen.get("LC_ALL")).isEqualTo("C");
        assertThat(seen.get("TZ")).isEqualTo("UTC");
        assertThat(seen.get("PATH")).endsWith("/tools/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }

    @Test
    void writesOutsideRootAreContained() throws IOException {
        Path sentinel = Files.createDirectories(tmp.resolve("sentinel"));
        Files.writeString(sentinel.resolve("keep"), "precious");
        String before = snapshot(sentinel);
        String fn = """
                pkg_postinst() {
                    rm -rf "${ROOT}/../sentinel"
                    echo evil > "${ROOT}/../sentinel/new"
                    echo evil > "${ROOT}/../escaped"
                    ln -s ../sentinel "${ROOT}/link"
                    rm -rf "${ROOT}/link/"
                    touch /etc/stageforge-escape /usr/stageforge-escape
                    [[ -e ${ROOT}/../sentinel/keep || -e /proc/1/root${ROOT}/../sentinel/keep ]] && echo seen > "${ROOT}/etc/seen"
                    mount -t tmpfs none "${ROOT}/etc" && echo mounted > "${ROOT}/etc/mounted"
                    ls /proc | grep -c '^[0-9]' > "${ROOT}/etc/pids"
                    echo done > "${ROOT}/etc/done"
                }
                """;
        runner.run(ctx("evil-1", "8", "", "postinst", fn), "postinst");
        assertThat(read("etc/done")).isEqualTo("done");
        assertThat(root.resolve("etc/seen")).doesNotExist();
        assertThat(root.resolve("etc/mounted")).doesNotExist();
        // only the phase's own processes (bash, ls, grep and a subshell or two)
        assertThat(Integer.parseInt(read("etc/pids"))).isLessThan(8);
        assertThat(snapshot(sentinel)).isEqualTo(before);
        assertThat(tmp.resolve("escaped")).doesNotExist();
        assertThat(Path.of("/etc/stageforge-escape")).doesNotExist();
        assertThat(Path.of("/usr/stageforge-escape")).doesNotExist();
    }

    @Test
    void ownershipChangesOutsideRootAreRefused() throws IOException {
        Path outside = Files.writeString(tmp.resolve("outside"), "x");
        Files.setPosixFilePermissions(outside, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        for (Isolation iso : Isolation.values()) {
            String fn = "pkg_postinst() { chmod 0600 \"" + outside + "\"; }\n";
            BashPhaseRunner r = new BashPhaseRunner(iso, Duration.ofMinutes(1));
            assertThatThrownBy(() -> r.run(ctx("own-2", "8", "", "postinst", fn), "postinst"))
                    .as(iso.toString())
                    .isInstanceOf(PhaseException.class).hasMessageContaining("outside ROOT");
            assertThat(Files.getAttribute(outside, "unix:mode")).isEqualTo(0100644);
        }
    }

    @Test
    void hostToolsAreShimmedAndAccountsLeftToStageforge() {
        String fn = """
                pkg_postinst() {
                    ldconfig -r "${ROOT}" || die
                    systemd-tmpfiles --create dbus.conf || die
                    useradd --prefix "${ROOT}" -u 5 someone || die
                    dbus-uuidgen --ensure="${EROOT}"/etc/machine-id || die
                }
                """;
        PhaseResult r = runner.run(ctx("tools-1", "8", "", "postinst", fn), "postinst");
        String real = root.toAbsolutePath().toString();
        assertThat(r.skippedCommands()).hasSize(3);
        assertThat(r.skippedCommands().get(0)).startsWith("ldconfig -r ");
        assertThat(r.skippedCommands().get(1)).isEqualTo("systemd-tmpfiles --create dbus.conf");
        assertThat(r.skippedCommands().get(2)).startsWith("useradd --prefix ").endsWith("-u 5 someone");
        assertThat(read("etc/machine-id")).matches("[0-9a-f]{32}");
        assertThat(Path.of(real, "etc/passwd")).content().doesNotContain("someone");
    }

    @Test
    void versionComparisonFollowsPms() throws IOException {
        // a compact table of PMS cases: a, b, expected sign
        String cases = """
                1 2 -1
                1.0 1.0.0 -1
                1.01 1.1 -1
                1.010 1.01 0
                1_alpha 1_beta -1
                1_rc1 1 -1
                1 1_p1 -1
                1.2b 1.2a 1
                1.2-r1 1.2 1
                1.2-r01 1.2-r1 0
                99999999999999999999 100000000000000000000 -1
                1_alpha_p 1_alpha 1
                1_p 1_p_alpha 1
                2.6 2.13 -1
                1_rc 1_rc_alpha 1
                """;
        Files.writeString(root.resolve("cases"), cases);
        String fn = """
                pkg_postinst() {
                    while read -r a b want; do
                        echo "$a $b $want $(__sf_vercmp "$a" "$b")"
                    done < "${ROOT}/cases" > "${ROOT}/out"
                }
                """;
        runner.run(ctx("ver-1", "8", "", "postinst", fn), "postinst");
        for (String line : Files.readAllLines(root.resolve("out"))) {
            String[] f = line.split(" ");
            assertThat(f[3]).as(line).isEqualTo(f[2]);
        }
        assertThat(Files.readAllLines(root.resolve("out"))).hasSize(15);
    }

    @Test
    void hangingPhaseTimesOut() {
        BashPhaseRunner quick = new BashPhaseRunner(Isolation.NAMESPACE, Duration.ofMillis(1500));
        String fn = "pkg_postinst() { sleep 60; }\n";
        long start = System.nanoTime();
        assertThatThrownBy(() -> quick.run(ctx("slow-1", "8", "", "postinst", fn), "postinst"))
                .isInstanceOf(PhaseException.class).hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void hostileNamesAndMissingImageAreRefused() {
        PhaseContext bad = new PhaseContext("..", "x-1", "0", "", "8", "", "postinst", env("8", "", ""), root, build,
                null, List.of(), null, null);
        assertThatThrownBy(() -> runner.run(bad, "postinst")).hasMessageContaining("bad package name '../x-1'");
        assertThatThrownBy(() -> runner.run(ctx("i-1", "8", "", "preinst", ""), "preinst"))
                .hasMessage("app-misc/i-1: pkg_preinst needs the package image on disk (D)");
        assertThatThrownBy(() -> runner.run(ctx("i-1", "8", "", "install", ""), "install"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(build.resolve("..").normalize().resolve("x-1")).doesNotExist();
    }

    @Test
    void contextFromTheSavedEnvironmentAlone() throws IOException {
        String fn = "pkg_postinst() { echo \"${USE}|${EAPI}|${ROOT}\" > \"${ROOT}/etc/u\"; }\n";
        PhaseContext c = PhaseContext.fromEnvironment("app-misc/envonly-2", "0", env("6", "foo bar", fn), "postinst",
                root, build);
        assertThat(c.use()).isEqualTo("foo bar");
        assertThat(c.eapi()).isEqualTo("6");
        runner.run(c, "postinst");
        assertThat(read("etc/u")).isEqualTo("foo bar|6|" + root.toRealPath() + "/");
    }

    @Test
    void replacingAndReplacedByVersions() throws IOException {
        String fn = """
                pkg_preinst() { echo "pre:${REPLACING_VERSIONS}:${REPLACED_BY_VERSION-unset}" > "${ROOT}/etc/pre"; }
                pkg_prerm() { echo "rm:${REPLACING_VERSIONS-unset}:${REPLACED_BY_VERSION}:${EBUILD_PHASE}" > "${ROOT}/etc/rm"; }
                """;
        Path image = Files.createDirectories(tmp.resolve("img"));
        PhaseContext c = ctx("up-2", "8", "", "preinst prerm", fn);
        runner.run(c.withImage(image).withReplacingVersions(List.of("1", "1.5-r1")), "preinst");
        assertThat(read("etc/pre")).isEqualTo("pre:1 1.5-r1:unset");
        PhaseResult rm = runner.run(c.withReplacedByVersion("3"), "prerm");
        assertThat(read("etc/rm")).isEqualTo("rm:unset:3:prerm");
        // the removal runs apart from the install of the same PF
        assertThat(build.resolve("app-misc/up-2.remove/environment")).exists();
        assertThat(rm.log()).isEqualTo(build.resolve("logs/app-misc:up-2.log").toRealPath());
    }

    @Test
    void definedPhasesInBinaryInstallOrder() {
        assertThat(Phases.binaryInstallPhases(" install postinst preinst prepare setup"))
                .containsExactly("setup", "preinst", "postinst");
        assertThat(Phases.binaryInstallPhases("-")).isEmpty();
        assertThat(Phases.defined("install preinst pretend")).containsExactly("install", "preinst", "pretend");
    }

    private void vdbEntry(String cpv, String slot, String repo, String use) throws IOException {
        Path d = Files.createDirectories(root.resolve("var/db/pkg").resolve(cpv));
        Files.writeString(d.resolve("SLOT"), slot + "\n");
        Files.writeString(d.resolve("repository"), repo + "\n");
        Files.writeString(d.resolve("USE"), use + "\n");
    }

    private String read(String rel) {
        try {
            return Files.readString(root.resolve(rel)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String snapshot(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted().toList()) {
                sb.append(dir.relativize(p)).append(' ')
                        .append(Files.isRegularFile(p) ? Files.readString(p) : "-").append('\n');
            }
        }
        return sb.toString();
    }
}

package org.stageforge.build;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.binpkg.BinaryPackage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Real emerge in the test seed, sandboxed: a package built into a GPKG, a failure reported, a hostile ebuild contained. */
@Tag("emerge")
class EmergeTest {
    @Test
    void buildsAStaticProgramIntoAGpkg(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.root();
        TestEbuildRepo repo = TestEbuildRepo.create(tmp).program("hello", "1.0", "hello from stageforge");
        Emerge.Request r = repo.request(seed, tmp, "=app-misc/hello-1.0");
        long t0 = System.nanoTime();
        Emerge.Result res = Emerge.run(r, tmp.resolve("scratch"));
        System.err.printf("EmergeTest: emerge of one package took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(res.exit()).as(Files.readString(tmp.resolve("logs/emerge.log"))).isZero();
        assertThat(res.built()).containsExactly("app-misc/hello-1.0");
        assertThat(res.failedCpv()).isNull();
        Path gpkg = tmp.resolve("pkgdir/app-misc/hello/hello-1.0-1.gpkg.tar");
        assertThat(gpkg).isRegularFile();

        Path image = Files.createDirectories(tmp.resolve("image"));
        try (BinaryPackage p = BinaryPackage.open(gpkg)) {
            assertThat(p.format()).isEqualTo(BinaryPackage.Format.GPKG);
            p.extract(image, new ExtractPolicy(false, false, false));
        }
        Path prog = image.resolve("usr/bin/hello");
        assertThat(prog).isRegularFile();
        // the program runs in another root: over the seed with only the binary bound in
        Path out = tmp.resolve("run.log");
        Sandbox.Spec run = new Sandbox.Spec(seed, tmp.resolve("run-scratch"),
                List.of(new Sandbox.Bind(prog, "/opt/hello", false)), Map.of(), false, Map.of());
        assertThat(Sandbox.run(run, List.of("/opt/hello"), out, false)).isZero();
        assertThat(Files.readString(out)).isEqualTo("hello from stageforge\n");
        assertThat(Files.readString(tmp.resolve("scratch/etc-portage/make.conf")))
                .contains("FEATURES=\"-userpriv", "BINPKG_FORMAT=\"gpkg\"", "PKGDIR=\"/var/cache/binpkgs\"");
        assertThat(Files.readSymbolicLink(tmp.resolve("scratch/etc-portage/make.profile")).toString())
                .isEqualTo("/var/db/repos/sbx/profiles/test");
    }

    @Test
    void aFailingPackageIsNamedWithItsLogTailAndKeepsItsEnvironment(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.root();
        TestEbuildRepo repo = TestEbuildRepo.create(tmp).ebuild("broken", "1.0", String.join("\n",
                "src_compile() {", "\techo 'compiling broken'", "\tdie \"broken fails on purpose\"", "}"));
        Emerge.Result res = Emerge.run(repo.request(seed, tmp, "=app-misc/broken-1.0"), tmp.resolve("scratch"));
        assertThat(res.exit()).isNotZero();
        assertThat(res.ok()).isFalse();
        assertThat(res.built()).isEmpty();
        assertThat(res.failedCpv()).isEqualTo("app-misc/broken-1.0");
        assertThat(res.failed()).containsExactly("app-misc/broken-1.0");
        assertThat(res.failedLog()).isRegularFile();
        assertThat(res.failedLog().getParent()).isEqualTo(tmp.resolve("logs"));
        assertThat(res.failedLog().getFileName().toString()).startsWith("app-misc:broken-1.0:");
        assertThat(res.logTail()).contains("compiling broken", "broken fails on purpose",
                "ERROR: app-misc/broken-1.0::sbx failed (compile phase)");
        assertThat(res.logTail().lines().count()).isLessThanOrEqualTo(Emerge.TAIL_LINES);
        assertThat(tmp.resolve("scratch/layer")).doesNotExist();

        // --shell-on-failure: an interactive bash in the failed build, its environment loaded (commands from stdin)
        Path in = Files.writeString(tmp.resolve("shell.in"),
                "echo \"PF=${PF} P=${P} T=${T} pwd=$(pwd)\"\ndeclare -F src_compile\nexit 0\n");
        Path out = tmp.resolve("shell.out");
        int rc = new ProcessBuilder(java(), "-cp", classPath(), EmergeMain.class.getName(), "shell",
                seed.dir().toString(), "true", repo.dir.toString(), repo.configRoot.toString(), tmp.toString(),
                "app-misc/broken-1.0").redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(tmp.resolve("shell.err").toFile()).start().waitFor();
        assertThat(rc).as(Files.readString(tmp.resolve("shell.err"))).isZero();
        assertThat(Files.readString(out)).contains(
                "PF=broken-1.0 P=broken-1.0 T=/var/tmp/portage/app-misc/broken-1.0/temp pwd=/var/tmp/portage/app-misc/broken-1.0/work\n",
                "src_compile\n");
    }

    @Test
    void buildsAsANormalUser(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.userRoot();
        Path base = Files.createDirectories(tmp.resolve("user"));
        TestEbuildRepo repo = TestEbuildRepo.create(base).program("hello", "1.0", "hello as a user");
        TestSeed.run(List.of("chown", "-R", TestSeed.USER + ":" + TestSeed.USER, base.toString()), null, 60);
        TestSeed.run(List.of("chmod", "755", tmp.toString()), null, 60);
        Path out = base.resolve("main.out");
        ProcessBuilder pb = new ProcessBuilder(TestSeed.asUser(List.of(java(), "-cp", classPath(),
                EmergeMain.class.getName(), "run", seed.dir().toString(), "false", repo.dir.toString(),
                repo.configRoot.toString(), base.toString(), "=app-misc/hello-1.0")))
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("HOME", base.toString());
        long t0 = System.nanoTime();
        assertThat(pb.start().waitFor()).as(Files.readString(out)).isZero();
        System.err.printf("EmergeTest: emerge of one package as a normal user took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(Files.readString(out)).as(Files.readString(base.resolve("logs/emerge.log")))
                .contains("exit=0\n", "built=app-misc/hello-1.0\n", "failed=null\n");
        Path gpkg = base.resolve("pkgdir/app-misc/hello/hello-1.0-1.gpkg.tar");
        assertThat(Files.getAttribute(gpkg, "unix:uid")).isEqualTo(TestSeed.USER);
        try (BinaryPackage p = BinaryPackage.open(gpkg)) {
            assertThat(p.entries()).anySatisfy(e -> assertThat(e.path()).endsWith("usr/bin/hello"));
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }

    @Test
    void aHostileEbuildChangesNothingOutsideItsBindsAndSeesOnlyAllowedVariables(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.root();
        String canary = "stageforge-canary-" + Integer.toHexString(tmp.toString().hashCode());
        TestEbuildRepo repo = TestEbuildRepo.create(tmp).ebuild("hostile", "1.0", String.join("\n",
                "src_compile() {",
                "\techo canary > /etc/" + canary + " || die",
                "\techo canary > \"${WORKDIR}\"/../../../../../../../../../etc/" + canary + "-dotdot || die",
                "\techo canary > ../../../../../../../../../../tmp/" + canary + "-tmp || die",
                "\techo canary > /usr/bin/" + canary + " || die",
                "\tif echo canary > /var/db/repos/sbx/" + canary + " 2>/dev/null; then die 'repository writable'; fi",
                "\tif echo canary >> \"${EBUILD}\" 2>/dev/null; then die 'ebuild writable'; fi",
                "\tif ln -s /etc /var/db/repos/sbx/escape 2>/dev/null; then die 'repository writable'; fi",
                "\tenv | sort | sed 's/^/HOSTILE-ENV: /'",
                "}",
                "src_install() {",
                "\techo ok > hostile.txt || die",
                "\tinsinto /usr/share/hostile",
                "\tdoins hostile.txt",
                "}"));
        String repoBefore = treeDigest(repo.dir);
        String seedBefore = seed.dir().resolve("etc").toFile().list().length + "";
        Emerge.Result res = Emerge.run(repo.request(seed, tmp, "=app-misc/hostile-1.0"), tmp.resolve("scratch"));
        String log = Files.readString(tmp.resolve("logs/emerge.log"));
        assertThat(res.exit()).as(log).isZero();
        assertThat(res.built()).containsExactly("app-misc/hostile-1.0");

        assertThat(treeDigest(repo.dir)).isEqualTo(repoBefore);
        for (String p : List.of("/etc/" + canary, "/etc/" + canary + "-dotdot", "/tmp/" + canary + "-tmp",
                "/usr/bin/" + canary)) {
            assertThat(Path.of(p)).doesNotExist();
            assertThat(seed.dir().resolve(p.substring(1))).doesNotExist();
        }
        assertThat(seed.dir().resolve("etc").toFile().list().length + "").isEqualTo(seedBefore);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("config-root", "distfiles", "logs", "pkgdir", "repo", "scratch");
        }
        try (Stream<Path> s = Files.list(tmp.resolve("scratch"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("etc-portage", "tmp");
        }

        Map<String, String> seen = new TreeMap<>();
        log.lines().filter(l -> l.startsWith("HOSTILE-ENV: ")).map(l -> l.substring(13)).filter(l -> l.contains("="))
                .forEach(l -> seen.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        // Portage spreads LC_ALL over the LC_* categories for the ebuild
        assertThat(seen).containsEntry("SOURCE_DATE_EPOCH", "1700000000").containsEntry("LC_CTYPE", "C.UTF-8");
        // nothing of the JVM's environment got in (surefire's own variables among it) but the allow-listed names
        Set<String> allowed = new java.util.HashSet<>(Sandbox.environment(Map.of(), true).keySet());
        allowed.addAll(Set.of("SHLVL", "PWD", "OLDPWD", "_")); // bash sets these itself
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (allowed.contains(e.getKey())) continue;
            assertThat(e.getValue().equals(seen.get(e.getKey()))).as("host variable %s leaked", e.getKey()).isFalse();
        }
        assertThat(seen).doesNotContainKeys("STAGEFORGE_FIXTURES_DEFAULT", "XDG_CACHE_HOME");
    }

    /** Paths, types, modes and contents of a tree, symlinks not followed. */
    static String treeDigest(Path root) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted().toList()) {
                md.update((root.relativize(p) + "\0").getBytes(StandardCharsets.UTF_8));
                md.update((Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) + "\0").getBytes(StandardCharsets.UTF_8));
                if (Files.isSymbolicLink(p)) {
                    md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p)) {
                    try (InputStream in = Files.newInputStream(p)) {
                        md.update(in.readAllBytes());
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

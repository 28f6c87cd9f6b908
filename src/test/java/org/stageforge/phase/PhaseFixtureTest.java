package org.stageforge.phase;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.PackageMetadata;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Phases of real binary packages from the fixtures' binhost, checked against what Portage made. */
class PhaseFixtureTest {
    static final String BINHOST = "binhost-xpak-amd64";
    static final String EPOCH = "1700000000";

    @TempDir
    Path tmp;

    final BashPhaseRunner runner = new BashPhaseRunner();

    /** The package file of a CPV with the given BUILD_ID (Portage goes by BUILD_ID, not the file name). */
    static Path binpkg(String cpv, String buildId) throws IOException {
        Path dir = Fixtures.require(BINHOST).resolve(cpv.substring(0, cpv.lastIndexOf('/')))
                .resolve(cpv.substring(cpv.indexOf('/') + 1).replaceAll("-[0-9].*", ""));
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                try (BinaryPackage b = BinaryPackage.open(p)) {
                    PackageMetadata md = b.metadata();
                    if ((md.get("CATEGORY") + "/" + md.get("PF")).equals(cpv) && md.get("BUILD_ID").equals(buildId)) {
                        return p;
                    }
                }
            }
        }
        throw new AssertionError("no " + cpv + " with BUILD_ID " + buildId + " in " + dir);
    }

    /** A new ROOT with what Portage's config creates in every root before any phase runs. */
    Path newRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        for (String d : List.of("tmp", "var", "var/tmp")) {
            Files.createDirectories(root.resolve(d));
            // as emerge's umask 022 makes them, whatever the umask of the test run
            Files.setAttribute(root.resolve(d), "unix:mode", d.endsWith("tmp") ? 01777 : 0755);
        }
        return root;
    }

    /** Extracts the package image and runs its binary-install phases around a plain copy into ROOT. */
    List<PhaseResult> install(Path file, Path root, Path build) throws IOException {
        try (BinaryPackage b = BinaryPackage.open(file)) {
            PackageMetadata md = b.metadata();
            Path image = Files.createDirectories(build.resolve("image-" + md.get("PF")));
            b.extract(image, ExtractPolicy.SAME_PERMISSIONS);
            PhaseContext ctx = PhaseContext.forBinary(md, root, build).withSourceDateEpoch(EPOCH);
            List<PhaseResult> out = new ArrayList<>();
            out.add(runner.run(ctx, "pretend"));
            out.add(runner.run(ctx, "setup"));
            out.add(runner.run(ctx.withImage(image), "preinst"));
            copyInto(image, root);
            out.add(runner.run(ctx.withImage(image), "postinst"));
            return out;
        }
    }

    /**
     * Stands in for the merge engine: copies the (phase-modified) image into ROOT with owners and
     * modes, merging an image directory into what a ROOT symlink to a directory points at, as Portage does.
     */
    static void copyInto(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.list(from)) {
            for (Path src : s.sorted().toList()) {
                Path dst = to.resolve(src.getFileName().toString());
                if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                    if (!Files.exists(dst)) {
                        Files.createDirectory(dst);
                        for (String a : List.of("unix:mode", "unix:uid", "unix:gid")) {
                            Files.setAttribute(dst, a, Files.getAttribute(src, a, LinkOption.NOFOLLOW_LINKS));
                        }
                    }
                    copyInto(src, dst);
                } else {
                    Files.copy(src, dst, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    @Test
    void baselayoutWithUseBuildMakesTheLayoutPortageMade() throws IOException {
        Path manifestFile = Fixtures.require("portage-expected/install/phases/manifest.tsv");
        Path root = newRoot();
        Path build = Files.createDirectories(tmp.resolve("build"));
        List<PhaseResult> results = install(binpkg("sys-apps/baselayout-2.13-r1", "1"), root, build);
        assertThat(results).extracting(PhaseResult::ran).containsExactly(false, true, true, true);

        Map<String, String[]> manifest = new TreeMap<>();
        for (String line : Files.readAllLines(manifestFile)) {
            String[] f = line.split("\t");
            manifest.put(f[0], f);
        }
        // Accounts added after baselayout (step 2 of the case) changed these; useradd left the
        // baselayout versions as the "-" backups.
        Map<String, String> laterChanged = Map.of("etc/passwd", "etc/passwd-", "etc/group", "etc/group-",
                "etc/shadow", "etc/shadow-");
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted().toList()) {
                String rel = root.relativize(p).toString();
                // the manifest leaves out tmp, cache and log directories
                if (p.equals(root) || List.of("tmp", "var/tmp", "var/cache", "var/log").contains(rel)) continue;
                String[] want = manifest.get(rel);
                if (want == null) {
                    mismatches.add(rel + ": not in Portage's root");
                    continue;
                }
                compared++;
                String[] got = describe(p);
                String[] wantCmp = want.clone();
                if (laterChanged.containsKey(rel)) wantCmp[5] = manifest.get(laterChanged.get(rel))[5];
                for (int i = 1; i <= 5; i++) {
                    if (!got[i].equals(wantCmp[i])) {
                        mismatches.add(rel + ": field " + i + " is " + got[i] + ", Portage " + wantCmp[i]);
                    }
                }
            }
        }
        assertThat(mismatches).isEmpty();
        // the layout made by the phases, not the image: top-level merged-usr links, dirs, copied files
        assertThat(compared).isGreaterThanOrEqualTo(60);
        for (String made : List.of("bin", "sbin", "lib", "lib64", "usr/sbin", "var/lock", "var/run", "run", "proc",
                "etc/passwd", "etc/shadow", "etc/fstab")) {
            assertThat(Files.exists(root.resolve(made), LinkOption.NOFOLLOW_LINKS)).as(made).isTrue();
        }
        assertThat(root.resolve("usr/share/baselayout/Makefile")).doesNotExist();
    }

    @Test
    void accountPackagesRunWithNativeAccounts() throws IOException {
        Path root = newRoot();
        Path build = Files.createDirectories(tmp.resolve("build"));
        install(binpkg("sys-apps/baselayout-2.13-r1", "1"), root, build);
        String passwd = Files.readString(root.resolve("etc/passwd"));

        List<PhaseResult> group = install(binpkg("acct-group/messagebus-0-r2", "1"), root, build);
        assertThat(group).extracting(PhaseResult::phase).containsExactly("pretend", "setup", "preinst", "postinst");
        assertThat(group).extracting(PhaseResult::ran).containsExactly(true, false, true, false);
        assertThat(group.get(2).skippedCommands()).anySatisfy(c -> assertThat(c).startsWith("groupadd")
                .contains("--prefix " + root.toRealPath()).endsWith("messagebus"));

        List<PhaseResult> user = install(binpkg("acct-user/messagebus-0-r2", "1"), root, build);
        assertThat(user).extracting(PhaseResult::ran).containsExactly(true, false, true, true);
        assertThat(user.get(2).skippedCommands()).singleElement().satisfies(c -> assertThat(c)
                .startsWith("useradd").contains("--home-dir /dev/null", "--shell /sbin/nologin").endsWith("messagebus"));
        // _ACCT_USER_ADDED carried from pkg_preinst to pkg_postinst: no usermod
        assertThat(user.get(3).skippedCommands()).isEmpty();
        assertThat(Files.readString(root.resolve("etc/passwd"))).isEqualTo(passwd);
    }

    @Test
    void mimeTypesDefinesNoBinaryPhaseAndDbusPostinstRuns() throws IOException {
        Path root = newRoot();
        Path build = Files.createDirectories(tmp.resolve("build"));
        try (Stream<Path> s = Files.list(Fixtures.require(BINHOST).resolve("app-misc/mime-types"))) {
            Path mime = s.sorted().findFirst().orElseThrow();
            assertThat(install(mime, root, build)).extracting(PhaseResult::ran).containsOnly(false);
        }
        Map<String, String[]> manifest = new TreeMap<>();
        for (String line : Files.readAllLines(Fixtures.require("portage-expected/install/dbus-nomask/manifest.tsv"))) {
            String[] f = line.split("\t");
            manifest.put(f[0], f);
        }
        Files.createDirectories(root.resolve("etc"));
        List<PhaseResult> dbus = install(binpkg("sys-apps/dbus-1.15.6", "1"), root, build);
        assertThat(dbus).extracting(PhaseResult::ran).containsExactly(false, true, false, true);
        for (String made : List.of("etc/machine-id", "var/lib/dbus/machine-id")) {
            String[] got = describe(root.resolve(made));
            String[] want = manifest.get(made);
            assertThat(List.of(got[1], got[2], got[3], got[4])).as(made)
                    .isEqualTo(List.of(want[1], want[2], want[3], want[4]));
        }
        assertThat(Files.readSymbolicLink(root.resolve("var/lib/dbus/machine-id"))).isEqualTo(Path.of("/etc/machine-id"));
        // the machine id is derived from SOURCE_DATE_EPOCH and the package, so a rebuild is identical
        assertThat(Files.readString(root.resolve("etc/machine-id"))).matches("[0-9a-f]{32}\n");
    }

    @Test
    void useAndEapiFromEveryBinhostEnvironmentMatchTheMetadata() throws IOException {
        int checked = 0;
        try (Stream<Path> s = Files.walk(Fixtures.require(BINHOST))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".xpak")).sorted().toList()) {
                try (BinaryPackage b = BinaryPackage.open(p)) {
                    PackageMetadata md = b.metadata();
                    PhaseContext c = PhaseContext.fromEnvironment(md.get("CATEGORY") + "/" + md.get("PF"),
                            md.get("SLOT"), md.environmentBz2(), md.get("DEFINED_PHASES"), tmp, tmp);
                    PhaseContext m = PhaseContext.forBinary(md, tmp, tmp);
                    assertThat(c.use()).as(p.toString()).isEqualTo(m.use());
                    assertThat(c.eapi()).as(p.toString()).isEqualTo(m.eapi());
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(151);
    }

    @Test
    void versionComparisonMatchesPortage() throws IOException {
        Path table = Fixtures.require("portage-expected/vercmp.tsv");
        Path root = newRoot();
        List<String> rows = Files.readAllLines(table).stream().filter(l -> !l.startsWith("#")).limit(800).toList();
        Files.write(root.resolve("cases"), rows);
        String fn = """
                pkg_postinst() {
                    local a b want got
                    while IFS=$'\\t' read -r a b want; do
                        if [[ $a == "$b" ]]; then
                            got=0 # Portage's vercmp answers equal strings without parsing them
                        elif [[ $a =~ ${__SF_VER_RE} && $b =~ ${__SF_VER_RE} ]]; then
                            got=$(__sf_vercmp "$a" "$b")
                        else
                            got=invalid
                        fi
                        printf '%s\\t%s\\t%s\\n' "$a" "$b" "$got"
                    done < "${ROOT}/cases" > "${ROOT}/out"
                }
                """;
        PhaseContext ctx = new PhaseContext("app-misc", "vercmp-1", "0", "", "8", "", "postinst",
                PhaseRunnerTest.env("8", "", fn), root, tmp.resolve("build"), null, List.of(), null, null);
        runner.run(ctx, "postinst");
        List<String> got = Files.readAllLines(root.resolve("out"));
        assertThat(got).hasSize(rows.size());
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (!got.get(i).equals(rows.get(i))) wrong.add(rows.get(i) + " -> " + got.get(i));
        }
        assertThat(wrong).isEmpty();
    }

    /** path, type, mode, uid, gid, detail — as in the fixtures' manifest.tsv. */
    static String[] describe(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        String uid = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS).toString();
        String gid = Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS).toString();
        String type;
        String detail = "-";
        if (Files.isSymbolicLink(p)) {
            type = "l";
            detail = Files.readSymbolicLink(p).toString();
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            type = "d";
        } else {
            type = "f";
            byte[] b = Files.readAllBytes(p);
            try {
                detail = b.length + ":" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }
        return new String[] {p.toString(), type, String.format("%04o", mode & 07777), uid, gid, detail};
    }
}

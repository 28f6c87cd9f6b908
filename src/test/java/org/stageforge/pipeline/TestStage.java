package org.stageforge.pipeline;

import org.stageforge.archive.Compression;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.index.PackagesIndex;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A tiny repository (profile "test"), a binhost of self-made GPKGs and a spec, all under one directory. */
final class TestStage {
    final Path dir;
    final Path spec;

    private TestStage(Path dir) {
        this.dir = dir;
        this.spec = dir.resolve("spec.toml");
    }

    static void write(Path p, String s) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }

    /** Repository + binhost (baselayout, hello needing baselayout, systemd) + a spec with {@code extra} appended. */
    static TestStage create(Path dir, String extra) throws IOException {
        TestStage t = new TestStage(dir);
        Path repo = dir.resolve("repo");
        write(repo.resolve("profiles/repo_name"), "gentoo\n");
        write(repo.resolve("metadata/layout.conf"), "masters =\nprofile-formats = portage-2\n");
        write(repo.resolve("profiles/license_groups"), "FREE MIT\n");
        write(repo.resolve("profiles/test/eapi"), "8\n");
        write(repo.resolve("profiles/test/make.defaults"), """
                ARCH="amd64"
                ACCEPT_KEYWORDS="amd64"
                ACCEPT_LICENSE="@FREE"
                USE="systemd"
                CONFIG_PROTECT="/etc"
                CONFIG_PROTECT_MASK="/etc/env.d"
                """);
        write(repo.resolve("profiles/test/packages"), "*sys-apps/baselayout\n");
        Path bh = dir.resolve("binhost");
        List<Map<String, String>> entries = new ArrayList<>();
        entries.add(pkg(dir, bh, "sys-apps/baselayout-2.0", "", Map.of("etc/os-release", "NAME=Test\n",
                "usr/share/doc/baselayout/README", "doc\n", "usr/lib/libbase.a", "static\n",
                "etc/init.d/sshd", "#!/sbin/openrc-run\n", "sbin/openrc", "elf\n",
                "usr/share/zoneinfo/Europe/Berlin", "TZif2\n", "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n",
                "etc/group", "root:x:0:\n", "etc/shadow", "root:*:10770:0:::::\n", "var/tmp/junk", "x\n")));
        entries.add(pkg(dir, bh, "app-misc/hello-1.0", "sys-apps/baselayout", Map.of("usr/bin/hello", "#!/bin/sh\necho hello\n",
                "usr/share/man/man1/hello.1", ".TH HELLO 1\n", "usr/lib/systemd/system/hello.service", "[Unit]\n")));
        entries.add(pkg(dir, bh, "sys-apps/systemd-255", "", Map.of("usr/lib/systemd/systemd", "elf\n")));
        Map<String, String> header = new LinkedHashMap<>();
        header.put("PACKAGES", Integer.toString(entries.size()));
        header.put("VERSION", "0");
        header.put("REPO", "gentoo");
        PackagesIndex.of(header, entries).write(bh.resolve("Packages"));
        write(t.spec, """
                profile = "test"
                world = ["app-misc/hello"]

                [stage]
                name = "tiny"
                version = "1.0"

                [repo]
                path = "repo"

                [[binhost]]
                url = "binhost"
                """ + extra);
        return t;
    }

    /**
     * A stage of {@code packages} packages of {@code files} files each (about {@code size} bytes per file), all in
     * world, for benchmarks.
     */
    static TestStage synthetic(Path dir, int packages, int files, int size) throws IOException {
        TestStage t = create(dir, "");
        Path bh = dir.resolve("binhost");
        PackagesIndex base = PackagesIndex.read(bh.resolve("Packages"));
        List<Map<String, String>> entries = new ArrayList<>();
        for (var e : base.entries()) entries.add(new LinkedHashMap<>(e.fields()));
        java.util.Random r = new java.util.Random(1);
        StringBuilder world = new StringBuilder("\"app-misc/hello\"");
        for (int p = 0; p < packages; p++) {
            Map<String, String> f = new TreeMap<>();
            for (int i = 0; i < files; i++) {
                byte[] b = new byte[size];
                for (int k = 0; k < size; k++) b[k] = (byte) ('a' + r.nextInt(8));
                f.put("usr/share/bench" + p + "/d" + (i % 10) + "/f" + i, new String(b, StandardCharsets.US_ASCII));
            }
            entries.add(pkg(dir, bh, "dev-bench/p" + p + "-1.0", "sys-apps/baselayout", f));
            world.append(", \"dev-bench/p").append(p).append('"');
        }
        Map<String, String> header = new LinkedHashMap<>(base.header());
        header.put("PACKAGES", Integer.toString(entries.size()));
        PackagesIndex.of(header, entries).write(bh.resolve("Packages"));
        Files.writeString(t.spec, Files.readString(t.spec).replace("world = [\"app-misc/hello\"]", "world = [" + world + "]"));
        return t;
    }

    /**
     * Adds {@code cpv} (needing baselayout, in world) made from {@code image} with the owners, modes and xattrs of
     * {@code table}, for packages whose image holds what text files cannot (devices, capabilities).
     */
    void addPackage(String cpv, Path image, org.stageforge.binpkg.FileTable table) throws IOException {
        Path bh = dir.resolve("binhost");
        PackagesIndex base = PackagesIndex.read(bh.resolve("Packages"));
        List<Map<String, String>> entries = new ArrayList<>();
        for (var e : base.entries()) entries.add(new LinkedHashMap<>(e.fields()));
        entries.add(pkg(bh, cpv, "sys-apps/baselayout", image, table));
        Map<String, String> header = new LinkedHashMap<>(base.header());
        header.put("PACKAGES", Integer.toString(entries.size()));
        PackagesIndex.of(header, entries).write(bh.resolve("Packages"));
        String atom = cpv.replaceFirst("-[0-9][^/]*$", "");
        Files.writeString(spec, Files.readString(spec).replace("world = [\"app-misc/hello\"]",
                "world = [\"app-misc/hello\", \"" + atom + "\"]"));
    }

    private static Map<String, String> pkg(Path dir, Path bh, String cpv, String rdepend, Map<String, String> files)
            throws IOException {
        String pf = cpv.substring(cpv.indexOf('/') + 1);
        Path image = dir.resolve("images/" + pf);
        for (Map.Entry<String, String> f : files.entrySet()) write(image.resolve(f.getKey()), f.getValue());
        return pkg(bh, cpv, rdepend, image, null);
    }

    private static Map<String, String> pkg(Path bh, String cpv, String rdepend, Path image,
                                           org.stageforge.binpkg.FileTable table) throws IOException {
        String cat = cpv.substring(0, cpv.indexOf('/'));
        String pf = cpv.substring(cpv.indexOf('/') + 1);
        Map<String, byte[]> md = new TreeMap<>();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CATEGORY", cat);
        m.put("PF", pf);
        m.put("SLOT", "0");
        m.put("EAPI", "8");
        m.put("KEYWORDS", "amd64");
        m.put("LICENSE", "MIT");
        m.put("IUSE", "systemd");
        m.put("USE", "amd64 systemd");
        m.put("RDEPEND", rdepend);
        m.put("BUILD_TIME", "1700000000");
        m.put("repository", "gentoo");
        boolean postinst = cpv.startsWith("app-misc/hello");
        m.put("DEFINED_PHASES", postinst ? "postinst" : "");
        m.forEach((k, v) -> md.put(k, (v + "\n").getBytes(StandardCharsets.UTF_8)));
        if (postinst) {
            // a phase that leaves a trace in ROOT, run by the phase runner from the saved environment
            var bz = new java.io.ByteArrayOutputStream();
            try (var o = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(bz)) {
                o.write(("declare -x EAPI=\"8\"\ndeclare -x USE=\"amd64 systemd\"\n"
                        + "pkg_postinst () \n{ \n    echo postinst > \"${ROOT%/}/etc/hello-postinst\"\n}\n").getBytes(StandardCharsets.UTF_8));
            }
            md.put("environment.bz2", bz.toByteArray());
        }
        Path out = bh.resolve(cat + "/" + pf + "-1.gpkg.tar");
        Files.createDirectories(out.getParent());
        GpkgWriter.write(out, image, md, new GpkgWriter.Options(Compression.ZSTD, 1700000000L, null, table));
        byte[] data = Files.readAllBytes(out);
        Map<String, String> e = new LinkedHashMap<>();
        e.put("CPV", cpv);
        e.put("BUILD_ID", "1");
        e.put("BUILD_TIME", "1700000000");
        e.put("EAPI", "8");
        e.put("IUSE", "systemd");
        e.put("KEYWORDS", "amd64");
        e.put("LICENSE", "MIT");
        e.put("PATH", cat + "/" + pf + "-1.gpkg.tar");
        if (!rdepend.isEmpty()) e.put("RDEPEND", rdepend);
        e.put("SHA512", hex("SHA-512", data));
        e.put("SIZE", Long.toString(data.length));
        e.put("SLOT", "0");
        e.put("USE", "amd64 systemd");
        return e;
    }

    static String hex(String alg, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path f) throws IOException {
        return hex("SHA-256", Files.readAllBytes(f));
    }
}

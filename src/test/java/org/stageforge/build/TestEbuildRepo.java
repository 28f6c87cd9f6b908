package org.stageforge.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tiny EAPI 8 repository written by tests: repository {@code sbx}, profile {@code test} for the machine's
 * architecture, category {@code app-misc}, and whatever ebuilds the test adds; plus a config root whose
 * make.profile points at that profile, as {@code pipeline.ConfigRoot} writes one.
 */
final class TestEbuildRepo {
    static final String NAME = "sbx";

    final Path dir;
    final Path configRoot;

    private TestEbuildRepo(Path dir, Path configRoot) {
        this.dir = dir;
        this.configRoot = configRoot;
    }

    static TestEbuildRepo create(Path base) throws IOException {
        Path repo = base.resolve("repo");
        write(repo.resolve("profiles/repo_name"), NAME + "\n");
        write(repo.resolve("profiles/categories"), "app-misc\n");
        write(repo.resolve("metadata/layout.conf"), "masters =\nthin-manifests = true\nuse-manifests = false\n");
        String arch = switch (System.getProperty("os.arch")) {
            case "aarch64" -> "arm64";
            default -> "amd64";
        };
        String chost = arch.equals("arm64") ? "aarch64-unknown-linux-gnu" : "x86_64-pc-linux-gnu";
        write(repo.resolve("profiles/arch.list"), arch + "\n");
        write(repo.resolve("profiles/test/eapi"), "8\n");
        write(repo.resolve("profiles/test/make.defaults"), "ARCH=\"" + arch + "\"\nACCEPT_KEYWORDS=\"" + arch + "\"\n"
                + "CHOST=\"" + chost + "\"\nELIBC=\"glibc\"\nKERNEL=\"linux\"\nUSERLAND=\"GNU\"\n"
                + "USE_EXPAND=\"ELIBC KERNEL USERLAND\"\nUSE_EXPAND_HIDDEN=\"ELIBC KERNEL USERLAND\"\n"
                + "USE_EXPAND_UNPREFIXED=\"ARCH\"\nUSE_EXPAND_VALUES_ARCH=\"" + arch + "\"\n"
                + "USE_EXPAND_VALUES_ELIBC=\"glibc\"\nUSE_EXPAND_VALUES_KERNEL=\"linux\"\nUSE_EXPAND_VALUES_USERLAND=\"GNU\"\n"
                + "CFLAGS=\"-O1\"\nCXXFLAGS=\"-O1\"\n");
        Path cfg = base.resolve("config-root");
        Files.createDirectories(cfg.resolve("etc/portage"));
        Files.createSymbolicLink(cfg.resolve("etc/portage/make.profile"), repo.resolve("profiles/test").toAbsolutePath());
        return new TestEbuildRepo(repo, cfg);
    }

    /** Adds {@code app-misc/NAME-VERSION} with the given phase functions (and variables) after the common header. */
    TestEbuildRepo ebuild(String name, String version, String body) throws IOException {
        write(dir.resolve("app-misc/" + name + "/" + name + "-" + version + ".ebuild"), String.join("\n",
                "EAPI=8", "DESCRIPTION=\"stageforge test package " + name + "\"",
                "HOMEPAGE=\"https://example.invalid/\"", "LICENSE=\"MIT\"", "SLOT=\"0\"",
                "KEYWORDS=\"amd64 arm64\"", "S=\"${WORKDIR}\"", "", body, ""));
        return this;
    }

    /** A package whose program is a static C binary printing {@code text} (installed as /usr/bin/NAME). */
    TestEbuildRepo program(String name, String version, String text) throws IOException {
        return ebuild(name, version, String.join("\n",
                "src_compile() {",
                "\tprintf '#include <stdio.h>\\nint main(void) { puts(\"%s\"); return 0; }\\n' '" + text + "' > " + name + ".c || die",
                "\t${CC:-gcc} ${CFLAGS} -static -o " + name + " " + name + ".c || die",
                "}",
                "src_install() {",
                "\tdobin " + name,
                "}"));
    }

    Emerge.Request request(SeedRoot seed, Path base, String... atoms) {
        return new Emerge.Request(seed, dir, NAME, java.util.List.of(), configRoot, new TreeMap<>(Map.of()),
                base.resolve("pkgdir"), base.resolve("distfiles"), base.resolve("logs"), java.util.List.of(atoms), 1,
                false, false, null, java.util.List.of(), 1700000000L);
    }

    private static void write(Path f, String s) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, s, StandardCharsets.UTF_8);
    }
}

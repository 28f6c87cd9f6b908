package org.stageforge.resolve;

import org.stageforge.index.PackagesIndex;
import org.stageforge.profile.PortageConfig;
import org.stageforge.vdb.VdbEntry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds config roots, repositories and binhost indexes for resolver tests. */
final class TestEnv {
    private TestEnv() {}

    static void write(Path p, String content) {
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A config root whose make.profile is a real symlink to {@code profileDir} and whose repos.conf
     * names {@code repoDir} as the main repository "gentoo"; {@code etcFiles} are written under
     * etc/portage (relative name to content).
     */
    static Path configRoot(Path dir, Path repoDir, Path profileDir, Map<String, String> etcFiles) {
        Path etc = dir.resolve("etc/portage");
        write(etc.resolve("repos.conf/gentoo.conf"),
                "[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = " + repoDir.toAbsolutePath() + "\n");
        etcFiles.forEach((k, v) -> write(etc.resolve(k), v));
        try {
            Files.createSymbolicLink(etc.resolve("make.profile"), profileDir.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /**
     * A small amd64 repository "gentoo" with profile {@code test}: USE_EXPAND ABI_X86 (hidden
     * KERNEL), {@code use.mask} masking {@code masked-flag}, {@code use.force} forcing
     * {@code forced-flag}, @system {@code sys-apps/baselayout}, and the given make.conf.
     */
    static PortageConfig config(Path dir, String makeConf, Map<String, String> etcFiles) {
        Path repo = dir.resolve("repo");
        write(repo.resolve("profiles/repo_name"), "gentoo\n");
        write(repo.resolve("metadata/layout.conf"), "masters =\nprofile-formats = portage-2\n");
        write(repo.resolve("profiles/license_groups"), "FREE MIT GPL-2\n");
        Path profile = repo.resolve("profiles/test");
        write(profile.resolve("eapi"), "8\n");
        write(profile.resolve("make.defaults"), """
                ARCH="amd64"
                ACCEPT_KEYWORDS="amd64"
                USE_EXPAND="ABI_X86 KERNEL"
                USE_EXPAND_HIDDEN="KERNEL"
                USE_EXPAND_IMPLICIT="ARCH KERNEL"
                USE_EXPAND_UNPREFIXED="ARCH"
                USE_EXPAND_VALUES_ARCH="amd64"
                USE_EXPAND_VALUES_KERNEL="linux"
                IUSE_IMPLICIT="prefix"
                ABI_X86="64"
                KERNEL="linux"
                USE="ssl"
                """);
        write(profile.resolve("use.mask"), "masked-flag\n");
        write(profile.resolve("use.force"), "forced-flag\n");
        write(profile.resolve("packages"), "*sys-apps/baselayout\n");
        Map<String, String> files = new LinkedHashMap<>(etcFiles);
        files.put("make.conf", makeConf);
        return PortageConfig.load(configRoot(dir.resolve("cfg"), repo, profile, files), Map.of());
    }

    static PortageConfig config(Path dir) {
        return config(dir, "ACCEPT_LICENSE=\"-* @FREE\"\n", Map.of());
    }

    /** A package block: CPV, then key/value pairs overriding the defaults (SLOT 0, KEYWORDS amd64, LICENSE MIT). */
    static Map<String, String> pkg(String cpv, String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CPV", cpv);
        m.put("EAPI", "8");
        m.put("KEYWORDS", "amd64");
        m.put("LICENSE", "MIT");
        m.put("SLOT", "0");
        m.put("REPO", "gentoo");
        m.put("SIZE", "2048");
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        if (!m.containsKey("PATH")) {
            String pf = cpv.substring(cpv.indexOf('/') + 1);
            m.put("PATH", cpv.substring(0, cpv.indexOf('/')) + "/" + pf + "-" + m.getOrDefault("BUILD_ID", "1") + ".gpkg.tar");
        }
        return m;
    }

    @SafeVarargs
    static Binhost binhost(String name, Map<String, String>... pkgs) {
        return binhost(name, List.of(pkgs));
    }

    static Binhost binhost(String name, List<Map<String, String>> pkgs) {
        Map<String, String> header = new LinkedHashMap<>();
        header.put("PACKAGES", Integer.toString(pkgs.size()));
        header.put("VERSION", "0");
        return new Binhost(name, PackagesIndex.of(header, new ArrayList<>(pkgs)));
    }

    /** An installed package with the given metadata files (SLOT defaults to 0). */
    static VdbEntry installed(String cpv, String... kv) {
        int slash = cpv.indexOf('/');
        VdbEntry.Builder b = VdbEntry.builder(cpv.substring(0, slash), cpv.substring(slash + 1));
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SLOT", "0");
        m.put("repository", "gentoo");
        m.put("EAPI", "8");
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        m.forEach(b::field);
        return b.build();
    }
}

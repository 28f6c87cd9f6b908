package org.stageforge.build;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.config.MakeConfWriter;
import org.stageforge.config.ReposConf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The sandbox's {@code /etc/portage}, written into a host directory that {@link Emerge} binds read-only there:
 * <ul>
 *   <li>{@code make.profile}: the config root's profile, with its host paths turned into the sandbox's (the
 *       repositories at {@code /var/db/repos/NAME}, the config root at {@link #CONFIG}); a stage profile node (with
 *       mix-ins) is copied as a directory whose {@code parent} lines are translated the same way</li>
 *   <li>{@code repos.conf}: the main repository and the overlays at {@code /var/db/repos/NAME}, bound read-only</li>
 *   <li>{@code package.*} and {@code profile/} copied from the config root as {@code pipeline.ConfigRoot} wrote them</li>
 *   <li>{@code make.conf}: the spec's {@code [make_conf]} and then {@link #forced} settings</li>
 * </ul>
 * FEATURES turned off in the sandbox, and why:
 * <ul>
 *   <li>{@code -userpriv -userfetch -usersync}: a normal user's sandbox maps a single uid (the user, as root), so
 *       Portage cannot drop to a {@code portage} uid; they are off as root too, so both build the same bytes.
 *       For the same reason {@code PORTAGE_USERNAME}/{@code PORTAGE_GRPNAME} are {@code root}.</li>
 *   <li>{@code -ipc-sandbox -network-sandbox -pid-sandbox -mount-sandbox}: bubblewrap already put the build in its
 *       own IPC, network, PID and mount namespaces, and Portage cannot unshare them again inside bubblewrap's
 *       user namespace (no capabilities there).</li>
 *   <li>{@code -sandbox -usersandbox}: only when the seed has no Gentoo {@code sandbox} binary (the Debian stand-in);
 *       a Gentoo stage3 keeps Portage's own path sandbox inside bubblewrap's.</li>
 *   <li>{@code -news}: no news is read in a throwaway root.</li>
 *   <li>{@code -compress-build-logs -split-log}: {@link Emerge} reads a failed package's log tail from
 *       {@code PORT_LOGDIR/CAT:PF:TIME.log}.</li>
 * </ul>
 * Turned on: {@code buildpkg binpkg-multi-instance}, {@code ccache} with a ccache directory, {@code distcc} with
 * distcc hosts. {@code ACCEPT_LICENSE="*"} unless the spec sets it; {@code BINPKG_FORMAT=gpkg}; no countdowns.
 */
public final class SandboxPortage {
    private SandboxPortage() {}

    public static final String REPOS = "/var/db/repos";
    public static final String PKGDIR = "/var/cache/binpkgs";
    public static final String DISTDIR = "/var/cache/distfiles";
    public static final String PORT_LOGDIR = "/var/log/portage";
    /** PORTAGE_TMPDIR; builds are in {@code /var/tmp/portage/CAT/PF}. */
    public static final String TMPDIR = "/var/tmp";
    public static final String CCACHE_DIR = "/var/cache/ccache";
    /** Where the config root is bound read-only (stage profile and mix-in nodes). */
    public static final String CONFIG = "/var/lib/stageforge/config";

    private static final Pattern REPO_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
    /** What Portage must not do in any seed (see the class comment). */
    private static final String FEATURES_OFF =
            "-userpriv -userfetch -usersync -ipc-sandbox -network-sandbox -pid-sandbox -mount-sandbox -news"
            + " -compress-build-logs -split-log";

    /** A repository and its name, as bound into the sandbox. */
    public record Repo(String name, Path host, Integer priority) {
        public String inside() {
            return REPOS + "/" + name;
        }
    }

    /**
     * Writes {@code etcPortage} (deleted first) for {@code r} and returns the read-only binds it refers to: the
     * repositories and the config root.
     */
    public static List<Sandbox.Bind> write(Emerge.Request r, Path etcPortage) throws IOException {
        Sandbox.deleteTree(etcPortage);
        Files.createDirectories(etcPortage);
        List<Repo> repos = repos(r);
        List<ReposConf.Section> sections = new ArrayList<>();
        List<Sandbox.Bind> binds = new ArrayList<>();
        for (Repo repo : repos) {
            sections.add(new ReposConf.Section(repo.name(), repo.inside(), repo.priority()));
            binds.add(new Sandbox.Bind(repo.host(), repo.inside(), false));
        }
        write(etcPortage.resolve("repos.conf/stageforge.conf"), ReposConf.format(r.repoName(), sections));
        Path cfg = r.configRoot().toAbsolutePath();
        binds.add(new Sandbox.Bind(cfg, CONFIG, false));
        Path cfgEtc = cfg.resolve("etc/portage");
        profile(cfgEtc.resolve("make.profile"), etcPortage.resolve("make.profile"), repos, cfg);
        try (var s = Files.list(cfgEtc)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("package.") || n.equals("profile")) copyTree(p, etcPortage.resolve(n));
            }
        }
        write(etcPortage.resolve("make.conf"), "# Written by stageforge: the spec's [make_conf] and what the build"
                + " sandbox needs (see build.SandboxPortage)\n" + MakeConfWriter.assignments(makeConf(r)));
        return binds;
    }

    /** The make.conf variables: the spec's, with {@link #forced} on top (FEATURES appended to the spec's). */
    static Map<String, String> makeConf(Emerge.Request r) {
        Map<String, String> mc = new TreeMap<>(r.makeConf());
        Map<String, String> forced = forced(r);
        String userFeatures = mc.getOrDefault("FEATURES", "").strip();
        mc.putAll(forced);
        mc.put("FEATURES", (userFeatures.isEmpty() ? "" : userFeatures + " ") + forced.get("FEATURES"));
        mc.putIfAbsent("ACCEPT_LICENSE", "*");
        return mc;
    }

    /** The settings the sandbox imposes whatever the spec says. */
    static Map<String, String> forced(Emerge.Request r) {
        Map<String, String> f = new TreeMap<>();
        StringBuilder features = new StringBuilder(FEATURES_OFF);
        if (!Files.isExecutable(r.seed().dir().resolve("usr/bin/sandbox"))) features.append(" -sandbox -usersandbox");
        features.append(" buildpkg binpkg-multi-instance");
        if (r.ccacheDir() != null) {
            features.append(" ccache");
            f.put("CCACHE_DIR", CCACHE_DIR);
        }
        if (!r.distccHosts().isEmpty()) {
            features.append(" distcc");
            f.put("DISTCC_HOSTS", String.join(" ", r.distccHosts()));
        }
        f.put("FEATURES", features.toString());
        f.put("PORTAGE_USERNAME", "root");
        f.put("PORTAGE_GRPNAME", "root");
        f.put("BINPKG_FORMAT", "gpkg");
        f.put("PKGDIR", PKGDIR);
        f.put("DISTDIR", DISTDIR);
        f.put("PORT_LOGDIR", PORT_LOGDIR);
        f.put("PORTAGE_LOGDIR_CLEAN", "");
        f.put("PORTAGE_TMPDIR", TMPDIR);
        f.put("CLEAN_DELAY", "0");
        f.put("EMERGE_WARNING_DELAY", "0");
        return f;
    }

    /** The main repository and the overlays with their names (an overlay's from profiles/repo_name or layout.conf). */
    static List<Repo> repos(Emerge.Request r) {
        List<Repo> repos = new ArrayList<>();
        repos.add(new Repo(checkName(r.repoName(), r.repo()), r.repo().toAbsolutePath().normalize(), null));
        for (Repo o : r.overlays()) repos.add(new Repo(checkName(o.name(), o.host()), o.host().toAbsolutePath().normalize(), o.priority()));
        for (int i = 0; i < repos.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (repos.get(i).name().equals(repos.get(j).name())) {
                    throw new StageforgeException("repositories " + repos.get(j).host() + " and " + repos.get(i).host()
                            + " are both named '" + repos.get(i).name() + "'", ExitCodes.BAD_INPUT, null);
                }
            }
        }
        return repos;
    }


    private static String checkName(String name, Path repo) {
        if (name == null || !REPO_NAME.matcher(name).matches()) {
            throw new StageforgeException("repository " + repo + ": bad name '" + name + "'", ExitCodes.BAD_INPUT, null);
        }
        return name;
    }

    /** make.profile inside: a symlink into a bound repository, or a copied stage node with translated parents. */
    private static void profile(Path link, Path out, List<Repo> repos, Path cfg) throws IOException {
        if (!Files.isSymbolicLink(link) && !Files.isDirectory(link)) {
            throw new StageforgeException("config root has no etc/portage/make.profile: " + link, ExitCodes.NOT_FOUND, null);
        }
        Path target = Files.isSymbolicLink(link)
                ? link.getParent().resolve(Files.readSymbolicLink(link)).toAbsolutePath().normalize() : link;
        if (!target.startsWith(cfg)) {
            Files.createSymbolicLink(out, Path.of(inside(target, repos, cfg)));
            return;
        }
        Files.createDirectories(out);
        try (var s = Files.list(target)) {
            for (Path f : s.sorted().toList()) {
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) continue;
                String text = Files.readString(f, StandardCharsets.UTF_8);
                if (f.getFileName().toString().equals("parent")) {
                    StringBuilder sb = new StringBuilder();
                    for (String line : text.lines().toList()) {
                        String l = line.strip();
                        if (l.isEmpty() || l.startsWith("#")) continue;
                        Path p = Path.of(l);
                        sb.append(p.isAbsolute() ? inside(p.normalize(), repos, cfg)
                                : inside(target.resolve(p).normalize(), repos, cfg)).append('\n');
                    }
                    text = sb.toString();
                }
                write(out.resolve(f.getFileName().toString()), text);
            }
        }
    }

    /** The sandbox path of a host path inside a bound repository or the config root. */
    private static String inside(Path host, List<Repo> repos, Path cfg) {
        for (Repo r : repos) {
            if (host.startsWith(r.host())) return join(r.inside(), r.host().relativize(host));
            try {
                Path real = r.host().toRealPath();
                if (host.startsWith(real)) return join(r.inside(), real.relativize(host));
            } catch (IOException ignored) {
                // a repository that does not exist fails at its bind
            }
        }
        if (host.startsWith(cfg)) return join(CONFIG, cfg.relativize(host));
        throw new StageforgeException("profile " + host + " is outside the build's repositories", ExitCodes.BAD_INPUT, null);
    }

    private static String join(String base, Path rel) {
        return rel.toString().isEmpty() ? base : base + "/" + rel;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                if (a.isRegularFile()) Files.copy(f, to.resolve(from.relativize(f).toString()));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void write(Path f, String s) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, s, StandardCharsets.UTF_8);
    }
}

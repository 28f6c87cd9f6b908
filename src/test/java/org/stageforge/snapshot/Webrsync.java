package org.stageforge.snapshot;

import org.junit.jupiter.api.Assumptions;
import org.stageforge.binpkg.OpenPgp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Portage's own {@code emerge-webrsync}, run from the source tarball in STAGEFORGE_TOOLS (default ../shared/tools)
 * with a throw-away configuration root syncing the {@code gentoo} repository into {@link #repo()}, trusting one
 * public key as Gentoo's release key. Skips (JUnit assumption) when Portage or a tool it needs is absent.
 */
public final class Webrsync {
    private final Path bash;
    private final Path portage;
    private final Path repo;
    private final Path work;
    private final Map<String, String> env;

    private Webrsync(Path portage, Path repo, Path work, Map<String, String> env) {
        this.bash = tool("bash");
        this.portage = portage;
        this.repo = repo;
        this.work = work;
        this.env = env;
    }

    /** The outcome of a run: exit status and the merged output. */
    public record Result(int rc, String out) {}

    /** Unpacks Portage into {@code tmp} and writes a configuration root trusting {@code publicKey}. */
    public static Webrsync setUp(Path tmp, Path publicKey) throws Exception {
        Path portageTar = portageTarball();
        for (String t : List.of("python3", "rsync", "gpg", "bash", "xz")) {
            Assumptions.assumeTrue(tool(t) != null, t + " is not installed (emerge-webrsync needs it)");
        }
        Path fetcher = tool("wget") != null ? tool("wget") : tool("curl");
        Assumptions.assumeTrue(fetcher != null, "neither wget nor curl is installed (emerge-webrsync's FETCHCOMMAND)");
        run(List.of("tar", "-xJf", portageTar.toString(), "-C", tmp.toString()), Map.of(), tmp);
        Path portage = tmp.resolve("portage");
        // Portage's scripts start "#!/usr/bin/env python"
        Path pybin = Files.createDirectories(tmp.resolve("pybin"));
        Files.createSymbolicLink(pybin.resolve("python"), tool("python3").toRealPath());

        Path cfg = tmp.resolve("cfg");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        write(cfg.resolve("prof/eapi"), "8\n");
        write(cfg.resolve("prof/make.defaults"), "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"amd64\"\nCHOST=\"x86_64-pc-linux-gnu\"\n");
        Files.createDirectories(cfg.resolve("etc/portage"));
        Files.createSymbolicLink(cfg.resolve("etc/portage/make.profile"), cfg.resolve("prof"));
        write(cfg.resolve("etc/portage/repos.conf/gentoo.conf"), "[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = "
                + repo + "\nsync-type = webrsync\n");
        write(cfg.resolve("etc/portage/make.conf"), "FEATURES=\"-sandbox -usersandbox -userpriv -userfetch -usersync -news"
                + " -metadata-transfer\"\nPORTAGE_USERNAME=root\nPORTAGE_GRPNAME=root\n");
        Path work = Files.createDirectories(tmp.resolve("work"));
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", pybin + ":" + portage.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", work.toString());
        env.put("LC_ALL", "C");
        env.put("PORTAGE_CONFIGROOT", cfg.toString());
        env.put("PORTAGE_TMPDIR", work.toString());
        env.put("DISTDIR", work.toString());
        env.put("PORTAGE_GPG_KEY", publicKey.toString());
        env.put("FETCHCOMMAND", fetcher.getFileName().toString().equals("wget")
                ? "wget -q -O \"${DISTDIR}/${FILE}\" \"${URI}\"" : "curl -fsS -o \"${DISTDIR}/${FILE}\" \"${URI}\"");
        return new Webrsync(portage, repo, work, env);
    }

    /** The synced repository's location. */
    public Path repo() {
        return repo;
    }

    /** Runs {@code emerge-webrsync ARGS} with {@code GENTOO_MIRRORS=mirror} and {@code extraEnv}. */
    public Result run(String mirror, Map<String, String> extraEnv, String... args) throws Exception {
        Map<String, String> e = new TreeMap<>(env);
        e.put("GENTOO_MIRRORS", mirror.replaceAll("/+$", ""));
        e.putAll(extraEnv);
        List<String> cmd = new ArrayList<>(List.of(bash.toString(), portage.resolve("bin/emerge-webrsync").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, e, work);
    }

    /**
     * Runs {@code emerge-webrsync ARGS} (without {@code --revert}: the newest snapshot) under libfaketime's
     * {@code faketime} at {@code time} ("YYYY-MM-DD HH:MM:SS" UTC), as it picks dates from the clock.
     */
    public Result runAt(String time, String mirror, String... args) throws Exception {
        Path faketime = tool("faketime");
        Assumptions.assumeTrue(faketime != null, "faketime is not installed (emerge-webrsync picks the newest date from the clock)");
        Map<String, String> e = new TreeMap<>(env);
        e.put("GENTOO_MIRRORS", mirror.replaceAll("/+$", ""));
        e.put("TZ", "UTC");
        List<String> cmd = new ArrayList<>(List.of(faketime.toString(), "-f", "@" + time, bash.toString(),
                portage.resolve("bin/emerge-webrsync").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, e, work);
    }

    /** An Ed25519 key made at time 0: {@code dir/secret.asc} and {@code dir/public.asc}. */
    public static Path key(Path dir, String uid) throws Exception {
        OpenPgp.GeneratedKey k = OpenPgp.generate(uid, null, new Date(0));
        Files.createDirectories(dir);
        Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Files.write(dir.resolve("public.asc"), k.publicArmored());
        return dir;
    }

    /** A small repository tree (see {@code SnapshotsTest}). */
    public static Path testRepo(Path dir) throws Exception {
        return SnapshotsTest.repo(dir);
    }

    public static Path tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static Path portageTarball() throws Exception {
        String env = System.getenv("STAGEFORGE_TOOLS");
        Path tools = Path.of(env == null || env.isEmpty() ? "../shared/tools" : env).toAbsolutePath().normalize();
        Path found = null;
        if (Files.isDirectory(tools)) {
            try (Stream<Path> s = Files.list(tools)) {
                found = s.filter(p -> p.getFileName().toString().matches("portage-.*\\.tar\\.xz")).sorted().findFirst().orElse(null);
            }
        }
        Assumptions.assumeTrue(found != null, "no portage-*.tar.xz in " + tools + " (set STAGEFORGE_TOOLS to ../shared/tools)");
        return found;
    }

    private static void write(Path p, String s) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }

    private static Result run(List<String> cmd, Map<String, String> env, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (!env.isEmpty()) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        p.getInputStream().transferTo(b);
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + ": timed out");
        }
        return new Result(p.exitValue(), b.toString(StandardCharsets.UTF_8));
    }
}

package org.stageforge.testutil;

import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real Portage run from its source tarball in STAGEFORGE_TOOLS (default ../shared/tools) on this host, as tests run
 * its clients ({@code ebuild … fetch}, {@code emerge-webrsync}): unpacked into a temporary directory, with a throw-away
 * configuration root (a one-file amd64 profile, FEATURES that need no Portage user or sandbox) whose main repository
 * is the one given. Skips (JUnit assumption) when the tarball or python3 is absent.
 */
public final class SourcePortage {
    /** The outcome of a run: exit status and the merged output. */
    public record Result(int rc, String out) {}

    private final Path portage;
    private final Path work;
    private final Map<String, String> env;

    private SourcePortage(Path portage, Path work, Map<String, String> env) {
        this.portage = portage;
        this.work = work;
        this.env = env;
    }

    /**
     * Unpacks Portage into {@code tmp/portage}; the configuration root {@code tmp/cfg} has {@code repo} as the main
     * repository {@code name}, with {@code repoExtra} (repos.conf lines, may be empty) in its section.
     */
    public static SourcePortage setUp(Path tmp, String name, Path repo, String repoExtra) throws Exception {
        Path tarball = tarball();
        Path python = tool("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed (Portage needs it)");
        run(List.of("tar", "-xJf", tarball.toString(), "-C", tmp.toString()), Map.of(), tmp);
        Path portage = tmp.resolve("portage");
        // Portage's scripts start "#!/usr/bin/env python"
        Path pybin = Files.createDirectories(tmp.resolve("pybin"));
        Files.createSymbolicLink(pybin.resolve("python"), python.toRealPath());

        Path cfg = tmp.resolve("cfg");
        write(cfg.resolve("prof/eapi"), "8\n");
        write(cfg.resolve("prof/make.defaults"), "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"amd64\"\nCHOST=\"x86_64-pc-linux-gnu\"\n");
        Files.createDirectories(cfg.resolve("etc/portage"));
        Files.createSymbolicLink(cfg.resolve("etc/portage/make.profile"), cfg.resolve("prof"));
        write(cfg.resolve("etc/portage/repos.conf/" + name + ".conf"), "[DEFAULT]\nmain-repo = " + name + "\n\n[" + name
                + "]\nlocation = " + repo + "\n" + repoExtra);
        write(cfg.resolve("etc/portage/make.conf"), "FEATURES=\"-sandbox -usersandbox -userpriv -userfetch -usersync -news"
                + " -metadata-transfer\"\nPORTAGE_USERNAME=root\nPORTAGE_GRPNAME=root\n");
        Path work = Files.createDirectories(tmp.resolve("work"));
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", pybin + ":" + portage.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", work.toString());
        env.put("LC_ALL", "C");
        env.put("PORTAGE_CONFIGROOT", cfg.toString());
        env.put("PORTAGE_TMPDIR", work.toString());
        return new SourcePortage(portage, work, env);
    }

    /** One of Portage's programs, e.g. {@code bin("ebuild")}. */
    public Path bin(String program) {
        return portage.resolve("bin").resolve(program);
    }

    /** The working directory (HOME, PORTAGE_TMPDIR). */
    public Path work() {
        return work;
    }

    /** Runs {@code cmd} in {@link #work()} with Portage's environment plus {@code extraEnv}. */
    public Result run(List<String> cmd, Map<String, String> extraEnv) throws Exception {
        Map<String, String> e = new TreeMap<>(env);
        e.putAll(extraEnv);
        return run(cmd, e, work);
    }

    /** {@code name} on the PATH, or null. */
    public static Path tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static Path tarball() throws Exception {
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

    /** Runs {@code cmd} in {@code dir} with exactly {@code env} (the JVM's environment when empty), stdin from /dev/null. */
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
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + ": timed out");
        }
        return new Result(p.exitValue(), b.toString(StandardCharsets.UTF_8));
    }
}

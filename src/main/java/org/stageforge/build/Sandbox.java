package org.stageforge.build;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Runs a command in bubblewrap over a throwaway layer of a seed root, so nothing it does reaches the host outside
 * the writable binds:
 * <ul>
 *   <li>root: an overlayfs (lower = the seed, upper/work under {@code scratch}) mounted in a private mount
 *       namespace ({@code unshare --mount}; as a normal user {@code unshare --user --map-root-user --mount}, the user
 *       being root inside), bwrap then binds it as {@code /}. bubblewrap 0.8 has no overlay options, hence
 *       {@code unshare}. When overlayfs cannot be mounted here, the seed is copied into {@code scratch} instead
 *       (slow, same result). The layer is deleted after the run.</li>
 *   <li>{@code /proc} of a new PID namespace (its host-wide {@code sys}, {@code sysrq-trigger}, {@code irq},
 *       {@code bus} read-only), {@code /sys} read-only, bwrap's minimal {@code /dev}, tmpfs {@code /tmp} and
 *       {@code /dev/shm}; new IPC, PID, UTS, cgroup and (unless {@code network}) network namespaces; hostname
 *       {@code stageforge}; {@code --die-with-parent}; {@code --new-session} unless interactive (no terminal
 *       injection). Not {@code --unshare-all}: its user namespace would map uid 0 alone, so a build run by root
 *       could not give files other owners ({@code fowners}); root keeps real owners and is confined by the
 *       capabilities instead: all dropped but {@link #CAPABILITIES} (no mount, mknod, sysctl, module, ptrace...).
 *       A normal user is in {@code unshare}'s user namespace, where those capabilities reach nothing of the
 *       host's.</li>
 *   <li>binds from the spec, read-only unless writable; {@code files} written into the layer before the start
 *       (with network, the host's {@code /etc/resolv.conf} is copied to {@code etc/resolv.conf}).</li>
 *   <li>the environment cleared ({@code --clearenv}) to the allow-list {@link #BASE_ENV} ({@code TERM} only when
 *       interactive) plus the caller's {@code env}; the unshare/bwrap processes themselves get only {@code PATH}.</li>
 * </ul>
 */
public final class Sandbox {
    private Sandbox() {}

    /** The variables every sandboxed command gets; the caller adds its own explicitly (e.g. SOURCE_DATE_EPOCH). */
    public static final Map<String, String> BASE_ENV = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root",
            "LC_ALL", "C.UTF-8");
    public static final String HOSTNAME = "stageforge";
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String HOST_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
    /** The host-wide knobs under /proc that root could otherwise write (sysctls, sysrq). */
    private static final List<String> PROC_READ_ONLY = List.of("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus");
    /** What a build keeps of root's capabilities: file ownership and modes, set*id, signals, file capabilities. */
    static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP");
    private static Boolean overlayWorks;

    /** A host path bound at {@code inside} (absolute), read-only unless {@code writable}. */
    public record Bind(Path host, String inside, boolean writable) {
        public Bind {
            if (!inside.startsWith("/") || inside.equals("/") || !inside.equals(Path.of(inside).normalize().toString())) {
                throw new IllegalArgumentException("bind target must be a normalized absolute path: " + inside);
            }
        }
    }

    /**
     * What to run over: {@code scratch} holds the throwaway layer ({@code scratch/layer}, deleted after each run);
     * {@code env} is added to {@link #BASE_ENV}; {@code files} maps paths relative to the root to their contents.
     */
    public record Spec(SeedRoot seed, Path scratch, List<Bind> binds, Map<String, String> env, boolean network,
                       Map<String, String> files) {
        public Spec {
            binds = List.copyOf(binds);
            env = Map.copyOf(env);
            files = Map.copyOf(files);
        }
    }

    /**
     * Runs {@code argv} (inside paths) and returns its exit status. {@code log}: stdout and stderr appended there,
     * stdin from /dev/null; null: inherited. {@code interactive}: stdin, stdout and stderr inherited, TERM passed,
     * no new session (job control works).
     */
    public static int run(Spec spec, List<String> argv, Path log, boolean interactive) throws IOException {
        if (argv.isEmpty()) throw new IllegalArgumentException("empty command");
        Path layer = spec.scratch().toAbsolutePath().resolve("layer");
        deleteTree(layer);
        Files.createDirectories(layer);
        try {
            Path lower = spec.seed().dir().toAbsolutePath();
            if (!Files.isDirectory(lower)) {
                throw new StageforgeException("seed root " + lower + " is not a directory", ExitCodes.NOT_FOUND, null);
            }
            Path mnt = layer.resolve("root");
            Path upper = layer.resolve("upper");
            Path work = layer.resolve("work");
            boolean overlay = overlayWorks(layer);
            Files.createDirectories(mnt);
            Files.createDirectories(upper);
            Files.createDirectories(work);
            Path top = overlay ? upper : mnt;
            if (!overlay) copySeed(lower, mnt);
            writeFiles(top, spec);
            List<String> cmd = new ArrayList<>(unshare());
            if (overlay) {
                cmd.addAll(List.of("sh", "-c", "mount -t overlay overlay -o \"$1\" \"$2\" && shift 2 && exec \"$@\"",
                        "sh", overlayOptions(lower, upper, work), mnt.toString()));
            }
            cmd.addAll(bwrap(spec, mnt, interactive));
            cmd.add("--");
            cmd.addAll(argv);
            return exec(cmd, log, interactive);
        } finally {
            deleteTree(layer);
        }
    }

    /** The bwrap arguments, up to (not including) {@code --} and the command. */
    static List<String> bwrap(Spec spec, Path rootDir, boolean interactive) {
        List<String> a = new ArrayList<>(List.of("bwrap", "--bind", rootDir.toString(), "/", "--proc", "/proc"));
        for (String p : PROC_READ_ONLY) {
            if (Files.exists(Path.of(p))) a.addAll(List.of("--ro-bind", p, p));
        }
        a.addAll(List.of("--ro-bind", "/sys", "/sys", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp",
                "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"));
        if (!spec.network()) a.add("--unshare-net");
        a.addAll(List.of("--hostname", HOSTNAME, "--die-with-parent", "--cap-drop", "ALL"));
        for (String c : CAPABILITIES) a.addAll(List.of("--cap-add", c));
        if (!interactive) a.add("--new-session");
        for (Bind b : spec.binds()) {
            Path h = b.host().toAbsolutePath();
            if (!Files.exists(h)) {
                throw new StageforgeException("sandbox bind " + h + " -> " + b.inside() + ": no such file or directory",
                        ExitCodes.NOT_FOUND, null);
            }
            a.addAll(List.of(b.writable() ? "--bind" : "--ro-bind", h.toString(), b.inside()));
        }
        a.add("--clearenv");
        for (Map.Entry<String, String> e : environment(spec.env(), interactive).entrySet()) {
            a.addAll(List.of("--setenv", e.getKey(), e.getValue()));
        }
        a.addAll(List.of("--chdir", "/"));
        return a;
    }

    /** The complete environment inside: {@link #BASE_ENV}, TERM when interactive, then the caller's variables. */
    public static Map<String, String> environment(Map<String, String> extra, boolean interactive) {
        Map<String, String> env = new TreeMap<>(BASE_ENV);
        if (interactive) env.put("TERM", System.getenv().getOrDefault("TERM", "dumb"));
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (!ENV_NAME.matcher(e.getKey()).matches() || e.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("bad sandbox environment variable '" + e.getKey() + "'");
            }
            env.put(e.getKey(), e.getValue());
        }
        return env;
    }

    private static List<String> unshare() {
        return isRoot() ? List.of("unshare", "--mount", "--propagation", "private")
                : List.of("unshare", "--user", "--map-root-user", "--mount", "--propagation", "private");
    }

    private static String overlayOptions(Path lower, Path upper, Path work) {
        for (Path p : List.of(lower, upper, work)) {
            String s = p.toString();
            if (s.contains(",") || s.contains(":") || s.contains("\\")) {
                throw new StageforgeException("cannot use " + s + " in an overlay mount (',', ':' or '\\' in the path)",
                        ExitCodes.BAD_INPUT, null);
            }
        }
        return "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
    }

    /** Whether overlayfs can be mounted in our namespaces on the scratch file system; probed once per JVM. */
    private static synchronized boolean overlayWorks(Path layer) throws IOException {
        if (overlayWorks != null) return overlayWorks;
        Path probe = layer.resolve("probe");
        for (String d : List.of("lower", "upper", "work", "mnt")) Files.createDirectories(probe.resolve(d));
        List<String> cmd = new ArrayList<>(unshare());
        cmd.addAll(List.of("mount", "-t", "overlay", "overlay", "-o",
                overlayOptions(probe.resolve("lower"), probe.resolve("upper"), probe.resolve("work")),
                probe.resolve("mnt").toString()));
        overlayWorks = exec(cmd, null, false, true) == 0;
        deleteTree(probe);
        return overlayWorks;
    }

    private static void copySeed(Path lower, Path to) throws IOException {
        List<String> cmd = List.of("cp", "-a", "--no-target-directory", lower.toString(), to.toString());
        if (exec(cmd, null, false, true) != 0) {
            throw new StageforgeException("cannot copy the seed " + lower + " to " + to, ExitCodes.FAILURE, null);
        }
    }

    /** Writes the spec's files into the layer, refusing paths that leave it or pass through a symlink. */
    private static void writeFiles(Path top, Spec spec) throws IOException {
        for (Map.Entry<String, String> e : new TreeMap<>(spec.files()).entrySet()) {
            Path rel = Path.of(e.getKey()).normalize();
            if (rel.isAbsolute() || rel.startsWith("..") || rel.toString().isEmpty()) {
                throw new IllegalArgumentException("sandbox file outside the root: " + e.getKey());
            }
            Path dir = top;
            for (int i = 0; i < rel.getNameCount() - 1; i++) {
                dir = dir.resolve(rel.getName(i).toString());
                if (Files.isSymbolicLink(dir)) throw new IOException("sandbox file " + e.getKey() + " passes a symlink");
                Files.createDirectories(dir);
            }
            Path f = dir.resolve(rel.getFileName().toString());
            Files.deleteIfExists(f);
            Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
        }
    }

    /** The host's resolv.conf, for {@code files} of a spec with network. */
    public static Map<String, String> resolvConf() throws IOException {
        Path p = Path.of("/etc/resolv.conf");
        return Files.exists(p) ? Map.of("etc/resolv.conf", Files.readString(p)) : Map.of();
    }

    private static int exec(List<String> cmd, Path log, boolean interactive) throws IOException {
        return exec(cmd, log, interactive, false);
    }

    private static int exec(List<String> cmd, Path log, boolean interactive, boolean quiet) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", HOST_PATH);
        if (interactive) {
            pb.inheritIO();
        } else {
            pb.redirectInput(new File("/dev/null"));
            if (quiet) {
                pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            } else if (log != null) {
                Files.createDirectories(log.toAbsolutePath().getParent());
                pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            } else {
                pb.inheritIO().redirectInput(new File("/dev/null"));
            }
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new StageforgeException("cannot start " + cmd.get(0) + " (is bubblewrap installed?): " + e.getMessage(),
                    ExitCodes.FAILURE, e);
        }
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + cmd.get(0), e);
        }
    }

    static boolean isRoot() {
        try {
            // /proc/self is a root-owned symlink; the directory it names belongs to our effective uid
            Object uid = Files.getAttribute(Path.of("/proc/self/"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Deletes a tree the sandbox wrote, whatever modes it left (overlayfs leaves a mode-0 work directory);
     * never crosses into another file system.
     */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        exec(List.of("chmod", "-R", "u+rwX", dir.toString()), null, false, true);
        if (exec(List.of("rm", "-rf", "--one-file-system", dir.toString()), null, false, true) != 0
                || Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("cannot delete the sandbox layer " + dir);
        }
    }
}

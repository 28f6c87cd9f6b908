package org.stageforge.phase;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Cpv;
import org.stageforge.vdb.Vdb;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs pkg_* phases of binary packages with the host's bash, from their saved environment, as
 * {@code emerge --root=ROOT} does for a binary install (MERGE_TYPE=binary).
 *
 * <p>The shell starts with an empty environment. It sources this project's PMS helper library
 * ({@code phase-lib.sh}), then the package's environment, then the library again (so the saved
 * copies of Portage's own helpers never win) and the variables Portage sets for the phase, then
 * calls the phase function. A phase fails only through {@code die} or the shell ending with an
 * error, as in Portage: the return status of the phase function itself is ignored.
 *
 * <p>Layout under the build directory: {@code CAT/PF/temp} is T (and HOME, TMPDIR),
 * {@code CAT/PF/phase-PHASE/} the run's state, {@code logs/CAT:PF.log} the package's phase log
 * (all output of every phase, appended).
 */
public final class BashPhaseRunner {
    /**
     * Host commands replaced by no-op shims: they regenerate caches or talk to a running service
     * manager, act on the host rather than ROOT, and are done natively (ldconfig, env-update) or at
     * first boot instead. Their calls are listed in {@link PhaseResult#skippedCommands()}.
     */
    public static final List<String> NO_OP_SHIMS = List.of("ldconfig", "env-update", "systemd-tmpfiles",
            "systemd-sysusers", "systemd-hwdb", "systemctl", "udevadm", "update-mime-database",
            "gtk-update-icon-cache", "glib-compile-schemas", "gio-querymodules", "gdk-pixbuf-query-loaders",
            "fc-cache", "update-desktop-database", "mandb", "install-info", "locale-gen", "depmod",
            "update-ca-certificates", "c_rehash", "eselect");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9+_.-]*");
    static final String HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final int LOG_TAIL_LINES = 20;

    private final Isolation isolation;
    private final Duration timeout;
    /** Build directories whose {@code tools/} this runner has written. */
    private final Set<Path> toolsWritten = new HashSet<>();
    /** ROOT's VDB entries as lines of the installed list, by entry directory, while the directory is unchanged. */
    private final Map<Path, InstalledLine> installed = new HashMap<>();
    /** The shell that runs the phases, shared by the runs of a batch (null until the first run). */
    private PhaseServer server;

    /** A runner that confines phases in namespaces ({@link Isolation#NAMESPACE}), 30 minutes per phase. */
    public BashPhaseRunner() {
        this(Isolation.NAMESPACE, Duration.ofMinutes(30));
    }

    public BashPhaseRunner(Isolation isolation, Duration timeout) {
        this.isolation = isolation;
        this.timeout = timeout;
    }

    /**
     * Runs {@code pkg_<phase>} of the package. Returns a result with {@code ran == false} when the
     * package does not define the phase.
     *
     * @throws PhaseException when the phase dies or its shell fails
     * @throws StageforgeException when the phase cannot be started (no bash, no namespaces, bad names)
     */
    public synchronized PhaseResult run(PhaseContext ctx, String phase) {
        if (!Phases.RUNNABLE.contains(phase)) {
            throw new IllegalArgumentException("not a phase stageforge runs: " + phase);
        }
        String cpv = ctx.cpv();
        if (!NAME.matcher(ctx.category()).matches() || !NAME.matcher(ctx.pf()).matches()) {
            throw new StageforgeException("bad package name '" + cpv + "': refusing to run its phases");
        }
        if (ctx.definedPhases() != null && !Phases.defined(ctx.definedPhases()).contains(phase)) {
            return new PhaseResult(cpv, phase, false, 0, List.of(), List.of(), List.of(), Duration.ZERO, null);
        }
        if (phase.equals("preinst") && ctx.image() == null) {
            throw new StageforgeException(cpv + ": pkg_preinst needs the package image on disk (D)");
        }
        long start = System.nanoTime();
        try {
            Run r = prepare(ctx, phase);
            int status = execute(r, cpv, phase);
            return finish(r, ctx, phase, status, Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new StageforgeException(cpv + ": cannot run pkg_" + phase + ": " + e.getMessage(), e);
        }
    }

    /** The files and directories of one run. */
    private record Run(Path root, Path build, Path pkgDir, Path temp, Path state, Path tools, Path log, Path image) {}

    /** One line of the installed list and the identity of the VDB directory it was read from. */
    private record InstalledLine(Object key, java.nio.file.attribute.FileTime mtime, String line) {}

    private Run prepare(PhaseContext ctx, String phase) throws IOException {
        Path root = ctx.root().toRealPath();
        Files.createDirectories(ctx.buildDir());
        Path build = ctx.buildDir().toRealPath();
        if (build.startsWith(root) || root.startsWith(build)) {
            throw new StageforgeException(ctx.cpv() + ": the build directory " + build + " and ROOT " + root
                    + " must not contain each other");
        }
        // removal phases run from the installed copy, which may have the same PF as the new one
        Path pkgDir = build.resolve(ctx.category())
                .resolve(Phases.REMOVAL.contains(phase) ? ctx.pf() + ".remove" : ctx.pf());
        Path temp = pkgDir.resolve("temp");
        Path state = pkgDir.resolve("phase-" + phase);
        Path tools = build.resolve("tools");
        org.stageforge.util.Dirs.deleteTree(state);
        Files.createDirectories(temp);
        Files.createDirectories(state);
        Path logs = Files.createDirectories(build.resolve("logs"));
        Path log = logs.resolve(ctx.category() + ":" + ctx.pf() + ".log");
        Path image = ctx.image() == null ? null : ctx.image().toRealPath();
        if (image != null && (image.startsWith(root) || root.startsWith(image))) {
            throw new StageforgeException(ctx.cpv() + ": the image " + image + " and ROOT " + root
                    + " must not contain each other");
        }

        if (toolsWritten.add(build) || !Files.isRegularFile(tools.resolve("phase-server.sh"))) writeTools(tools);
        Path env = loadEnvironment(ctx, phase, pkgDir);
        Files.writeString(state.resolve("installed"), installedList(root));
        Files.writeString(state.resolve("vars.sh"), variables(ctx, phase, root, build, pkgDir, temp, state, tools,
                image, log));
        Files.writeString(state.resolve("driver.sh"), driver(phase, state, tools, env,
                saves(phase, ctx.definedPhases()) ? pkgDir.resolve("environment.saved") : null));
        return new Run(root, build, pkgDir, temp, state, tools, log, image);
    }

    private int execute(Run r, String cpv, String phase) throws IOException {
        Files.writeString(r.log(), "=== stageforge: pkg_" + phase + " of " + cpv + " (ROOT=" + r.root() + ")\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        List<Path> writable = new ArrayList<>(List.of(r.root(), r.build()));
        if (r.image() != null && !r.image().startsWith(r.build())) writable.add(r.image());
        try {
            OptionalInt status = OptionalInt.of(PhaseServer.GONE);
            while (status.isPresent() && status.getAsInt() == PhaseServer.GONE) {
                if (server == null || !server.serves(isolation, writable)) {
                    if (server != null) server.kill();
                    server = null;
                    server = PhaseServer.start(isolation, r.tools(), writable, r.tools().resolve("server.log"),
                            timeout);
                }
                status = server.run(r.temp(), r.log(), r.state().resolve("driver.sh"), timeout);
                if (status.isEmpty() || status.getAsInt() == PhaseServer.GONE) server = null;
            }
            if (status.isEmpty()) throw new PhaseException(cpv, phase, "timed out after " + timeout, logTail(r.log()));
            return status.getAsInt();
        } catch (InterruptedException e) {
            server = null;
            Thread.currentThread().interrupt();
            throw new StageforgeException(cpv + ": pkg_" + phase + " interrupted", e);
        }
    }

    /**
     * Runs {@code cmd} with the environment cleared to LC_ALL=C, TZ=UTC and {@code env}, in {@code dir}, input from
     * /dev/null, output and errors appended to {@code log}. The whole process tree is killed after {@code timeout}
     * (then the result is empty) or when the caller is interrupted.
     */
    static OptionalInt runClean(List<String> cmd, Map<String, String> env, Path dir, Path log, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("TZ", "UTC");
        pb.environment().putAll(env);
        pb.directory(dir.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                return OptionalInt.empty();
            }
            return OptionalInt.of(p.exitValue());
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw e;
        }
    }

    private PhaseResult finish(Run r, PhaseContext ctx, String phase, int status, Duration took) throws IOException {
        String cpv = ctx.cpv();
        if (!Files.exists(r.state().resolve("started"))) {
            throw new StageforgeException(cpv + ": could not start pkg_" + phase + ": " + oneLine(logTail(r.log())));
        }
        Path die = r.state().resolve("die");
        if (Files.exists(die)) {
            throw new PhaseException(cpv, phase, "died: " + Files.readString(die).strip().lines().findFirst().orElse(""), logTail(r.log()));
        }
        if (status != 0) {
            throw new PhaseException(cpv, phase, "exit status " + status, logTail(r.log()));
        }
        List<ElogMessage> messages = new ArrayList<>();
        List<String> fields = nulFields(r.state().resolve("elog"));
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            messages.add(new ElogMessage(ElogMessage.Level.valueOf(fields.get(i)), fields.get(i + 1)));
        }
        List<FileIntent> intents = new ArrayList<>();
        fields = nulFields(r.state().resolve("intents"));
        for (int i = 0; i + 3 < fields.size(); i += 4) {
            intents.add(new FileIntent(FileIntent.Op.valueOf(fields.get(i).toUpperCase(java.util.Locale.ROOT)),
                    fields.get(i + 1).equals("image") ? FileIntent.Scope.IMAGE : FileIntent.Scope.ROOT,
                    fields.get(i + 2), fields.get(i + 3)));
        }
        List<String> skipped = nulFields(r.state().resolve("skipped"));
        return new PhaseResult(cpv, phase, true, status, messages, intents, skipped, took, r.log());
    }

    // ---- generated files ------------------------------------------------------------------------

    /** The helper library, the sandbox and server scripts and the shims, shared by the runs in a build directory. */
    private static void writeTools(Path tools) throws IOException {
        Path bin = Files.createDirectories(tools.resolve("bin"));
        copyResource("phase-lib.sh", tools.resolve("phase-lib.sh"));
        copyResource("sandbox.sh", tools.resolve("sandbox.sh"));
        copyResource("phase-server.sh", tools.resolve("phase-server.sh"));
        for (String name : NO_OP_SHIMS) {
            script(bin.resolve(name), "#!/bin/bash\n"
                    + "printf '%s\\0' \"" + name + "${*:+ $*}\" >> \"${__SF_STATE}/skipped\"\n"
                    + "echo \" * stageforge: skipped " + name + " (not run when assembling a root)\"\n"
                    + "exit 0\n");
        }
        // dbus's pkg_postinst creates the machine id; a random one would make every root differ
        script(bin.resolve("dbus-uuidgen"), """
                #!/bin/bash
                id=$(printf '%s' "stageforge ${SOURCE_DATE_EPOCH} ${CATEGORY}/${PF}" | md5sum)
                id=${id%% *}
                for a in "$@"; do
                	case $a in
                		--ensure=*) f=${a#--ensure=}; [[ -s $f ]] || printf '%s\\n' "$id" > "$f" || exit 1; exit 0 ;;
                		--ensure) echo "dbus-uuidgen: --ensure needs a file here" >&2; exit 1 ;;
                	esac
                done
                printf '%s\\n' "$id"
                """);
    }

    private static void script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = BashPhaseRunner.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            Files.write(to, in.readAllBytes());
        }
    }

    /**
     * ROOT's installed packages for has_version/best_version: "cat/pf TAB slot TAB repo TAB use". An entry is read
     * again only when its directory changed (the VDB writes an entry into a new directory renamed into place).
     */
    String installedList(Path root) throws IOException {
        Vdb vdb = Vdb.open(root);
        StringBuilder sb = new StringBuilder();
        for (String cpv : vdb.cpvs()) {
            Path d = vdb.dir().resolve(cpv);
            var attrs = Files.readAttributes(d, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            InstalledLine known = installed.get(d);
            if (known == null || attrs.fileKey() == null || !attrs.fileKey().equals(known.key())
                    || !attrs.lastModifiedTime().equals(known.mtime())) {
                known = new InstalledLine(attrs.fileKey(), attrs.lastModifiedTime(), cpv + '\t'
                        + vdbValue(d, "SLOT", "0") + '\t' + vdbValue(d, "repository", "") + '\t' + vdbValue(d, "USE", ""));
                installed.put(d, known);
            }
            sb.append(known.line()).append('\n');
        }
        return sb.toString();
    }

    private static String vdbValue(Path dir, String key, String dflt) {
        Path f = dir.resolve(key);
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return dflt;
        try {
            String v = Files.readString(f).strip().replaceAll("\\s+", " ");
            return v.isEmpty() ? dflt : v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String variables(PhaseContext ctx, String phase, Path root, Path build, Path pkgDir, Path temp,
            Path state, Path tools, Path image, Path log) {
        boolean trailingSlash = List.of("0", "1", "2", "3", "4", "5", "6").contains(ctx.eapi());
        Cpv cpv = Cpv.parse(ctx.cpv());
        String rootVar = dirVar(root, trailingSlash);
        Map<String, String> v = new LinkedHashMap<>();
        v.put("__SF_STATE", state.toString());
        v.put("__SF_INSTALLED", state.resolve("installed").toString());
        v.put("__SF_PRIVILEGED", privileged() ? "1" : "0");
        v.put("PATH", tools.resolve("bin") + ":" + HOST_PATH);
        v.put("LC_ALL", "C");
        v.put("TZ", "UTC");
        v.put("ROOT", rootVar);
        v.put("EPREFIX", "");
        v.put("EROOT", rootVar);
        v.put("T", temp.toString());
        v.put("HOME", temp.toString());
        v.put("TMPDIR", temp.toString());
        v.put("PORTAGE_TMPDIR", build.toString());
        v.put("PORTAGE_BUILDDIR", pkgDir.toString());
        v.put("PORTAGE_REPO_NAME", ctx.repository());
        v.put("EBUILD_PHASE", phase);
        v.put("EBUILD_PHASE_FUNC", "pkg_" + phase);
        v.put("MERGE_TYPE", "binary");
        v.put("EMERGE_FROM", "binary");
        v.put("CATEGORY", ctx.category());
        v.put("PN", cpv.name());
        v.put("PV", cpv.version().withoutRevision());
        v.put("PR", cpv.version().hasRevision() ? "r" + cpv.version().revisionText() : "r0");
        v.put("P", cpv.pv());
        v.put("PF", ctx.pf());
        v.put("PVR", cpv.version().toString());
        v.put("SLOT", ctx.slot());
        v.put("USE", ctx.use());
        v.put("EAPI", ctx.eapi());
        // PMS: D is the image about to be merged (pkg_preinst) or just merged (pkg_postinst)
        if (image != null && (phase.equals("preinst") || phase.equals("postinst"))) {
            v.put("D", dirVar(image, trailingSlash));
            v.put("ED", dirVar(image, trailingSlash));
        }
        if (phase.equals("setup") && !trailingSlash) {
            // the build host is "/" (SYSROOT defaults to it, EPREFIX is empty)
            v.put("BROOT", "");
            v.put("SYSROOT", "");
            v.put("ESYSROOT", "");
        }
        if (List.of("pretend", "setup", "preinst", "postinst").contains(phase)) {
            v.put("REPLACING_VERSIONS", String.join(" ", ctx.replacingVersions()));
        } else if (ctx.replacedByVersion() != null) {
            v.put("REPLACED_BY_VERSION", ctx.replacedByVersion());
        }
        if (ctx.sourceDateEpoch() != null) v.put("SOURCE_DATE_EPOCH", ctx.sourceDateEpoch());
        StringBuilder sb = new StringBuilder("# generated by stageforge\n");
        sb.append("unset WORKDIR S D ED BROOT SYSROOT ESYSROOT REPLACING_VERSIONS REPLACED_BY_VERSION ")
                .append("SOURCE_DATE_EPOCH\n");
        v.forEach((k, val) -> sb.append("export ").append(k).append('=').append(quote(val)).append('\n'));
        return sb.toString();
    }

    /**
     * The environment the phase starts from. Phases after pkg_setup continue from the one the previous phase of the
     * same package saved ({@code environment.saved}, as Portage does); pkg_pretend and the first phase start from
     * the package's own ({@code environment}, decompressed once per package).
     */
    private static Path loadEnvironment(PhaseContext ctx, String phase, Path pkgDir) throws IOException {
        Path env = pkgDir.resolve("environment");
        Path source = pkgDir.resolve("environment.source");
        Path saved = pkgDir.resolve("environment.saved");
        String digest = sha256(ctx.environmentBz2());
        if (!Files.isRegularFile(env) || !Files.isRegularFile(source) || !Files.readString(source).equals(digest)) {
            Files.deleteIfExists(saved);
            Files.write(env, decompress(ctx.environmentBz2(), ctx.cpv()));
            Files.writeString(source, digest);
        }
        if (phase.equals("pretend") || phase.equals("setup")) Files.deleteIfExists(saved);
        return Files.isRegularFile(saved) ? saved : env;
    }

    /**
     * Whether a phase saves its environment: only when a later phase of the same install (or removal) may continue
     * from it; every phase when DEFINED_PHASES is unknown. Saving dumps every variable and function of the package.
     */
    private static boolean saves(String phase, String definedPhases) {
        List<String> later = switch (phase) {
            case "setup" -> List.of("preinst", "postinst");
            case "preinst" -> List.of("postinst");
            case "prerm" -> List.of("postrm");
            default -> List.of();
        };
        if (definedPhases == null) return !later.isEmpty();
        Set<String> defined = Phases.defined(definedPhases);
        return later.stream().anyMatch(defined::contains);
    }

    private static String sha256(byte[] b) {
        return java.util.HexFormat.of().formatHex(org.stageforge.util.Hashes.of("SHA-256").digest(b));
    }

    /** A directory as PMS wants it: "" for "/", a trailing slash before EAPI 7. */
    private static String dirVar(Path dir, boolean trailingSlash) {
        String s = dir.toString();
        if (s.equals("/")) return trailingSlash ? "/" : "";
        return trailingSlash ? s + "/" : s;
    }

    private static String driver(String phase, Path state, Path tools, Path from, Path saveTo) {
        String lib = quote(tools.resolve("phase-lib.sh").toString());
        String env = quote(from.toString());
        String vars = quote(state.resolve("vars.sh").toString());
        return "# generated by stageforge: runs pkg_" + phase + "\n"
                + "shopt -s extglob\n"
                // PMS: phases start with umask 022, whatever the caller's umask is
                + "umask 022\n"
                + "__SF_MAIN_PID=${BASHPID}\n"
                + "trap 'exit 1' TERM\n"
                + "source " + vars + "\n"
                + "source " + lib + "\n"
                + ": > \"${__SF_STATE}/started\"\n"
                + "source " + env + " || ewarn 'stageforge: the saved environment did not load cleanly'\n"
                + "source " + lib + "\n"
                + "source " + vars + "\n"
                + "cd \"${T}\" || die \"cannot enter T\"\n"
                + "if declare -F pkg_" + phase + " > /dev/null; then\n"
                + "\tpkg_" + phase + "\n"
                + "fi\n"
                + (saveTo != null ? "__sf_save_env " + quote(saveTo.toString()) + "\n" : "")
                + "exit 0\n";
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** The last environment {@link #decompress} read, and its text (guarded by the class). */
    private static byte[] lastBz2, lastPlain;

    /**
     * The saved environment, decompressed. The last one is kept: a package's environment is asked for by the image
     * check, its context and its first phase, and bzip2 costs some 20 ms per megabyte here.
     */
    static byte[] decompress(byte[] bz2, String cpv) {
        synchronized (BashPhaseRunner.class) {
            if (lastBz2 != null && java.util.Arrays.equals(lastBz2, bz2)) return lastPlain.clone();
        }
        try (var in = new BZip2CompressorInputStream(new ByteArrayInputStream(bz2))) {
            byte[] plain = in.readAllBytes();
            synchronized (BashPhaseRunner.class) {
                lastBz2 = bz2.clone();
                lastPlain = plain.clone();
            }
            return plain;
        } catch (IOException e) {
            throw new StageforgeException(cpv + ": environment.bz2 is not valid bzip2 data: " + e.getMessage(), e);
        }
    }

    private static List<String> nulFields(Path f) throws IOException {
        if (!Files.exists(f)) return List.of();
        String s = Files.readString(f, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\0') {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        return out;
    }

    private static String logTail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    private static String oneLine(String s) {
        String t = s.strip();
        int nl = t.lastIndexOf('\n');
        return (nl >= 0 ? t.substring(nl + 1) : t).strip();
    }

    static String hostTool(String name) {
        for (String dir : HOST_PATH.split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        throw new StageforgeException("cannot run package phases: '" + name + "' not found in " + HOST_PATH);
    }

    /** Real root may chown and create devices on disk; anyone else only records the intent. */
    static boolean privileged() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

}

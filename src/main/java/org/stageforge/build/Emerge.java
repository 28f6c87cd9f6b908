package org.stageforge.build;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the seed's real {@code emerge} in a {@link Sandbox} configured by {@link SandboxPortage}:
 * {@code emerge --buildpkg --usepkg --oneshot --jobs N [--keep-going] =CAT/PKG-VER...}.
 * <p>
 * Inside: the repositories read-only at {@code /var/db/repos/NAME}, {@code pkgDir} (PKGDIR) at
 * {@code /var/cache/binpkgs}, {@code distDir} at {@code /var/cache/distfiles}, {@code logDir} (PORT_LOGDIR) at
 * {@code /var/log/portage}, the optional ccache directory at {@code /var/cache/ccache}, all writable, and
 * {@code scratch/tmp} as PORTAGE_TMPDIR ({@code /var/tmp}), so a failed build's directory, with its
 * {@code temp/environment}, outlives the run for {@link #shell}. Everything else a build writes goes to the throwaway
 * layer. The environment is {@link Sandbox#BASE_ENV} plus SOURCE_DATE_EPOCH and, when the spec sets it, MAKEOPTS.
 * The build has no network unless it names distcc hosts (distcc needs it); {@link #fetch} gets the distfiles first,
 * with the network when the request allows it.
 * <p>
 * emerge's whole output is appended to {@code logDir/emerge.log}; a failure is read from Portage's
 * {@code * ERROR: CAT/PF::REPO failed (PHASE phase):} lines (bin/isolated-functions.sh, die) and the package's own
 * build log {@code logDir/CAT:PF:TIME.log} (prepare_build_dirs.py without split-log).
 */
public final class Emerge {
    private Emerge() {}

    public static final String OUTPUT_LOG = "emerge.log";
    static final int TAIL_LINES = 30;

    private static final Pattern ATOM = Pattern.compile("=[A-Za-z0-9_][A-Za-z0-9+_.-]*/[A-Za-z0-9_][A-Za-z0-9+_.-]*");
    private static final Pattern CPV = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9+_.-]*/[A-Za-z0-9_][A-Za-z0-9+_.-]*");
    /** Portage's die message (bin/isolated-functions.sh): {@code ERROR: ${CATEGORY}/${PF}::${REPO} failed (P phase):}. */
    static final Pattern DIE = Pattern.compile("^ \\* ERROR: (" + CPV.pattern() + ")::\\S+ failed(?: \\((\\S+) phase\\))?:");
    private static final Pattern BINPKG = Pattern.compile(".*\\.(gpkg\\.tar|xpak|tbz2)");

    /**
     * One emerge run. {@code configRoot}: the build's config root as {@code pipeline.ConfigRoot} writes it (its
     * make.profile, package.*, profile/); {@code makeConf}: the spec's {@code [make_conf]}; {@code sourceDateEpoch}
     * below 0: not set.
     */
    public record Request(SeedRoot seed, Path repo, String repoName, List<SandboxPortage.Repo> overlays, Path configRoot,
                          Map<String, String> makeConf, Path pkgDir, Path distDir, Path logDir, List<String> atoms,
                          int jobs, boolean keepGoing, boolean network, Path ccacheDir, List<String> distccHosts,
                          long sourceDateEpoch) {
        public Request {
            overlays = List.copyOf(overlays);
            makeConf = Map.copyOf(makeConf);
            atoms = List.copyOf(atoms);
            distccHosts = List.copyOf(distccHosts);
            if (jobs < 1) throw new IllegalArgumentException("jobs must be at least 1, not " + jobs);
            for (String a : atoms) {
                if (!ATOM.matcher(a).matches()) throw new IllegalArgumentException("not an =CAT/PKG-VER atom: " + a);
            }
            for (String h : distccHosts) {
                if (h.isBlank() || h.chars().anyMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\\')) {
                    throw new IllegalArgumentException("bad distcc host '" + h + "'");
                }
            }
        }
    }

    /**
     * {@code built}: the cpvs with a new binpkg in PKGDIR, sorted. On failure {@code failedCpv} is the first package
     * that died ({@code failed} lists all, in order), {@code failedLog} its build log on the host and
     * {@code logTail} the last lines of that log (of emerge's output when no package died, e.g. a resolution error).
     */
    public record Result(int exit, List<String> built, String failedCpv, Path failedLog, String logTail,
                         List<String> failed) {
        public Result {
            built = List.copyOf(built);
            failed = List.copyOf(failed);
        }

        public boolean ok() {
            return exit == 0;
        }
    }

    /** Portage's fetch failure (bin/emerge's fetch code): {@code !!! Fetch failed for CAT/PF, continuing...}. */
    static final Pattern FETCH_FAILED = Pattern.compile("^!!! Fetch failed for (" + CPV.pattern() + ")");

    /**
     * {@code emerge --fetchonly --usepkg --oneshot =CAT/PKG-VER...}: the distfiles of everything the build will
     * compile (the packages and the build dependencies it builds) into DISTDIR, in a sandbox with the network when
     * the request allows it. The build itself then runs without network. Returns the fetch's result (a failed
     * package is the first one Portage could not fetch).
     */
    public static Result fetch(Request r, Path scratch) throws IOException {
        if (r.atoms().isEmpty()) return new Result(0, List.of(), null, null, null, List.of());
        Path tmp = scratch.toAbsolutePath().resolve("tmp");
        Sandbox.deleteTree(tmp);
        Sandbox.Spec built = sandbox(r, scratch);
        Sandbox.Spec spec = new Sandbox.Spec(built.seed(), built.scratch(), built.binds(), built.env(), r.network(),
                r.network() ? Sandbox.resolvConf() : Map.of());
        List<String> argv = new ArrayList<>(List.of("emerge", "--fetchonly", "--usepkg", "--oneshot", "--color=n"));
        argv.addAll(r.atoms());
        Path log = r.logDir().toAbsolutePath().resolve(OUTPUT_LOG);
        Files.writeString(log, "=== stageforge: " + String.join(" ", argv) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        long start = Files.size(log);
        int exit = Sandbox.run(spec, argv, log, false);
        if (exit == 0) return new Result(0, List.of(), null, null, null, List.of());
        String output = readFrom(log, start);
        Set<String> failed = new LinkedHashSet<>();
        for (String line : output.split("\n", -1)) {
            Matcher m = FETCH_FAILED.matcher(line);
            if (m.find()) failed.add(m.group(1));
        }
        String first = failed.isEmpty() ? null : failed.iterator().next();
        return new Result(exit, List.of(), first, null, tail(output, TAIL_LINES), new ArrayList<>(failed));
    }

    public static Result run(Request r, Path scratch) throws IOException {
        if (r.atoms().isEmpty()) return new Result(0, List.of(), null, null, null, List.of());
        Path tmp = scratch.toAbsolutePath().resolve("tmp");
        Sandbox.deleteTree(tmp);
        Sandbox.Spec spec = sandbox(r, scratch);
        List<String> argv = new ArrayList<>(List.of("emerge", "--buildpkg", "--usepkg", "--oneshot", "--color=n",
                "--quiet-build=n", "--jobs", Integer.toString(r.jobs())));
        if (r.keepGoing()) argv.add("--keep-going");
        argv.addAll(r.atoms());
        Path log = r.logDir().toAbsolutePath().resolve(OUTPUT_LOG);
        Files.writeString(log, "=== stageforge: " + String.join(" ", argv) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        long start = Files.size(log);
        Map<String, String> before = binpkgs(r.pkgDir());
        int exit = Sandbox.run(spec, argv, log, false);
        List<String> built = built(before, binpkgs(r.pkgDir()));
        String output = readFrom(log, start);
        List<String> failed = failures(output);
        if (exit == 0 && failed.isEmpty()) return new Result(0, built, null, null, null, List.of());
        String failedCpv = failed.isEmpty() ? null : failed.get(0);
        Path failedLog = failedCpv == null ? null : buildLog(r.logDir(), failedCpv);
        String tail = tail(failedLog != null ? Files.readString(failedLog, StandardCharsets.UTF_8) : output, TAIL_LINES);
        return new Result(exit == 0 ? 1 : exit, built, failedCpv, failedLog, tail, failed);
    }

    /**
     * An interactive bash in the same sandbox, in the build directory of {@code cpv} left by the last {@link #run}
     * with {@code scratch}, its saved build environment loaded; returns the shell's exit status.
     */
    public static int shell(Request r, Path scratch, String cpv) throws IOException {
        if (!CPV.matcher(cpv).matches() || cpv.contains("..")) throw new IllegalArgumentException("not a cpv: " + cpv);
        org.stageforge.atom.Cpv.parse(cpv);
        Path tmp = scratch.toAbsolutePath().resolve("tmp");
        String build = SandboxPortage.TMPDIR + "/portage/" + cpv;
        if (!Files.isRegularFile(tmp.resolve("portage/" + cpv + "/temp/environment"))) {
            throw new StageforgeException("no saved build environment of " + cpv + " under " + tmp.resolve("portage"),
                    ExitCodes.NOT_FOUND, null);
        }
        org.stageforge.atom.Cpv p = org.stageforge.atom.Cpv.parse(cpv);
        String pv = p.version().withoutRevision();
        String pr = p.version().hasRevision() ? "r" + p.version().revisionText() : "r0";
        // the saved environment leaves out what Portage sets for each phase (bin/phase-functions.sh's read-only
        // variables), so the package's names and directories are set here as Portage sets them
        Files.writeString(tmp.resolve("stageforge-shell.rc"), "source " + build + "/temp/environment\n"
                + "export CATEGORY=" + p.category() + " PN=" + p.name() + " PV=" + pv + " PR=" + pr
                + " PVR=" + p.version() + " P=" + p.name() + "-" + pv + " PF=" + cpv.substring(cpv.indexOf('/') + 1)
                + " PORTAGE_BUILDDIR=" + build + " WORKDIR=" + build + "/work T=" + build + "/temp"
                + " D=" + build + "/image ED=" + build + "/image\n"
                + "cd \"${S}\" 2>/dev/null || cd \"${WORKDIR}\" 2>/dev/null || cd " + build + "\n"
                + "PS1='[stageforge " + cpv + "] \\w # '\n"
                + "echo 'stageforge: the build environment of " + cpv + " is loaded; exit 0 to retry the package,"
                + " exit 1 to stop'\n", StandardCharsets.UTF_8);
        return Sandbox.run(sandbox(r, scratch), List.of("bash", "--noprofile", "--rcfile",
                SandboxPortage.TMPDIR + "/stageforge-shell.rc", "-i"), null, true);
    }

    /** The sandbox of a request: its binds, environment and network (see the class comment). */
    static Sandbox.Spec sandbox(Request r, Path scratch) throws IOException {
        Path s = scratch.toAbsolutePath();
        Path tmp = s.resolve("tmp");
        Files.createDirectories(tmp);
        for (Path d : new Path[]{r.pkgDir(), r.distDir(), r.logDir(), r.ccacheDir()}) {
            if (d != null) Files.createDirectories(d);
        }
        List<Sandbox.Bind> binds = new ArrayList<>(SandboxPortage.write(r, s.resolve("etc-portage")));
        binds.add(new Sandbox.Bind(s.resolve("etc-portage"), "/etc/portage", false));
        binds.add(new Sandbox.Bind(r.pkgDir(), SandboxPortage.PKGDIR, true));
        binds.add(new Sandbox.Bind(r.distDir(), SandboxPortage.DISTDIR, true));
        binds.add(new Sandbox.Bind(r.logDir(), SandboxPortage.PORT_LOGDIR, true));
        binds.add(new Sandbox.Bind(tmp, SandboxPortage.TMPDIR, true));
        if (r.ccacheDir() != null) binds.add(new Sandbox.Bind(r.ccacheDir(), SandboxPortage.CCACHE_DIR, true));
        Map<String, String> env = new TreeMap<>();
        if (r.sourceDateEpoch() >= 0) env.put("SOURCE_DATE_EPOCH", Long.toString(r.sourceDateEpoch()));
        String makeopts = r.makeConf().get("MAKEOPTS");
        if (makeopts != null) env.put("MAKEOPTS", makeopts);
        // compiling never needs the network (fetch() got the distfiles), except to reach distcc hosts
        boolean network = !r.distccHosts().isEmpty();
        return new Sandbox.Spec(r.seed(), s, binds, env, network, network ? Sandbox.resolvConf() : Map.of());
    }

    /** The cpvs that died, in the order Portage reported them. */
    static List<String> failures(String output) {
        Set<String> out = new LinkedHashSet<>();
        for (String line : output.split("\n", -1)) {
            Matcher m = DIE.matcher(line);
            if (m.find()) out.add(m.group(1));
        }
        return new ArrayList<>(out);
    }

    /** The newest build log of {@code cpv} in PORT_LOGDIR ({@code CAT:PF:YYYYMMDD-HHMMSS.log}), or null. */
    static Path buildLog(Path logDir, String cpv) throws IOException {
        String prefix = cpv.replace('/', ':') + ":";
        try (Stream<Path> s = Files.list(logDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".log"))
                    .filter(Files::isRegularFile).max(Path::compareTo).orElse(null);
        }
    }

    static String tail(String text, int lines) {
        String[] l = text.split("\n", -1);
        int end = l.length > 0 && l[l.length - 1].isEmpty() ? l.length - 1 : l.length;
        int from = Math.max(0, end - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(l, from, end)) + "\n";
    }

    /** Binpkg files under PKGDIR: relative path to size and mtime. */
    private static Map<String, String> binpkgs(Path pkgDir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.isDirectory(pkgDir)) return m;
        try (Stream<Path> s = Files.walk(pkgDir)) {
            for (Path p : s.toList()) {
                if (!BINPKG.matcher(p.getFileName().toString()).matches()) continue;
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isRegularFile()) m.put(pkgDir.relativize(p).toString(), a.size() + "@" + a.lastModifiedTime());
            }
        }
        return m;
    }

    /** The cpvs of new or rewritten binpkgs: {@code CAT/PF.gpkg.tar}, or {@code CAT/PN/PF-BUILDID.gpkg.tar}. */
    static List<String> built(Map<String, String> before, Map<String, String> after) {
        Set<String> cpvs = new java.util.TreeSet<>();
        for (Map.Entry<String, String> e : after.entrySet()) {
            if (e.getValue().equals(before.get(e.getKey()))) continue;
            String[] parts = e.getKey().split("/");
            String file = parts[parts.length - 1].replaceFirst("\\.(gpkg\\.tar|xpak|tbz2)$", "");
            if (parts.length == 3) file = file.replaceFirst("-\\d+$", "");
            if (parts.length >= 2) cpvs.add(parts[0] + "/" + file);
        }
        return new ArrayList<>(cpvs);
    }

    private static String readFrom(Path f, long offset) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            long len = raf.length() - offset;
            if (len <= 0) return "";
            byte[] b = new byte[(int) Math.min(len, 64L << 20)];
            raf.seek(raf.length() - b.length);
            raf.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.pipeline.Build;
import org.stageforge.pipeline.BuildOptions;
import org.stageforge.pipeline.Lock;
import org.stageforge.pipeline.Part;
import org.stageforge.pipeline.Pretend;
import org.stageforge.pipeline.Reporter;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.stageforge.resolve.PlannedPackage;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** {@code stageforge build}: runs the stage pipeline of a spec. */
@Command(name = "build", mixinStandardHelpOptions = true,
        description = "Build a stage from a spec: fetch resolve binpkgs install configure kernel depclean cleanup pack checksum sign publish.")
public final class BuildCommand implements Runnable {
    @Parameters(arity = "0..1", paramLabel = "SPEC", description = "The stage spec (TOML); optional with --locked.")
    Path specFile;

    @Option(names = "--output", paramLabel = "DIR", description = "Where artifacts are published (default: .stageforge/out/NAME).")
    Path output;

    @Option(names = "--build-dir", paramLabel = "DIR", description = "State, logs and the root (default: .stageforge/build/NAME).")
    Path buildDir;

    @Option(names = "--locked", paramLabel = "LOCK", description = "Replay the inputs pinned by this lock (exit 3 when the spec no longer matches it, 4 when a pinned file differs).")
    Path locked;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Download cache (default: $XDG_CACHE_HOME/stageforge, else ~/.cache/stageforge).")
    Path cacheDir;

    @Option(names = "--skip", paramLabel = "PART", description = "Do not run PART (repeatable).")
    List<String> skip = List.of();

    @Option(names = "--force", paramLabel = "PART", description = "Run PART even when its fingerprint matches (repeatable).")
    List<String> force = List.of();

    @Option(names = "--from", paramLabel = "PART", description = "Run PART and every later part even when fingerprints match.")
    String from;

    @Option(names = "--resume", description = "Continue the build in the build directory: finished parts whose fingerprints match are reused.")
    boolean resume;

    @Option(names = "--keep-going", description = "Source builds ([seed]): build what can be built and report the packages that failed or could not be built.")
    boolean keepGoing;

    @Option(names = "--shell-on-failure", description = "Source builds ([seed]): open an interactive shell in the sandbox at a failed package (its build environment loaded); exit 0 retries the package (at most " + org.stageforge.build.SourceBuild.MAX_SHELLS + " shells per package).")
    boolean shellOnFailure;

    @Option(names = "--format", paramLabel = "FORMAT", split = ",", completionCandidates = Formats.class,
            description = "Extra output format, repeatable: ${COMPLETION-CANDIDATES} (oci: an OCI image layout tar);"
                    + " added to the spec's [output] formats.")
    List<String> formats = List.of();

    /** What --format takes: the spec's archive formats and oci. */
    static final class Formats extends java.util.ArrayList<String> {
        Formats() {
            super(StageSpec.Output.ARCHIVE_FORMATS);
            addAll(StageSpec.Output.IMAGE_FORMATS);
            add("oci");
        }
    }

    @Option(names = "--unprivileged", description = "As root too, merge as a normal user: owners, devices and xattrs only in the file table.")
    boolean unprivileged;

    @Option(names = {"--pretend", "-p"}, description = "Show the packages that would be merged (with USE) and which parts would be reused or run; build nothing (fetch still updates the indexes).")
    boolean pretend;

    @Option(names = "--quiet", description = "One line per part.")
    boolean quiet;

    @Option(names = "--verbose", description = "Also every command and file action.")
    boolean verbose;

    @Option(names = "--json", description = "An event stream, one JSON object per line.")
    boolean json;

    @Spec
    CommandSpec cmd;

    @Override
    @SuppressWarnings("try") // onCtrlC only needs closing
    public void run() {
        Lock lock = locked == null ? null : Lock.read(locked);
        Path sf = specFile;
        if (sf == null) {
            if (lock == null) throw new StageforgeException("build: give SPEC (or --locked LOCK)", ExitCodes.USAGE, null);
            sf = locked.toAbsolutePath().getParent().resolve(lock.spec());
        }
        for (String f : formats) {
            if (!new Formats().contains(f))
                throw new StageforgeException("--format: '" + f + "' is not one of " + String.join(", ", new Formats()), ExitCodes.USAGE, null);
        }
        StageSpec spec = SpecParser.parse(sf).withExtraFormats(formats.stream().filter(f -> !f.equals("oci")).toList());
        Path bd = buildDir != null ? buildDir : Path.of(".stageforge/build", spec.name());
        if (resume && !Files.isDirectory(bd.resolve("state"))) {
            // nothing to resume is not an error: a first run and its rerun can share one command line
            cmd.commandLine().getErr().println("stageforge: note: --resume: no saved state in " + bd + "; starting from the beginning");
            resume = false;
        }
        Path out = output != null ? output : Path.of(".stageforge/out", spec.name());
        BuildOptions o = new BuildOptions(bd, out, parts(skip), parts(force), from == null ? null : Part.of(from), lock,
                formats.contains("oci"), System.getenv(), unprivileged, cacheDir, keepGoing, shellOnFailure);
        Reporter.Mode mode = json ? Reporter.Mode.JSON : quiet ? Reporter.Mode.QUIET : verbose ? Reporter.Mode.VERBOSE : Reporter.Mode.NORMAL;
        try (Reporter rep = new Reporter(cmd.commandLine().getOut(), mode, bd.resolve("logs"), System.console() != null,
                System.getenv("NO_COLOR") != null, Part.values().length);
             OnInterrupt onCtrlC = new OnInterrupt(() -> interrupted(rep))) {
            if (pretend) {
                Pretend p = Pretend.of(spec, o, rep);
                if (mode == Reporter.Mode.JSON) cmd.commandLine().getOut().println(pretendJson(p));
                else cmd.commandLine().getOut().print(p.text());
                return;
            }
            if (resume) {
                var states = new org.stageforge.pipeline.StateStore(bd).all();
                Part next = null;
                for (Part p : Part.values()) {
                    if (!states.containsKey(p)) {
                        next = p;
                        break;
                    }
                }
                if (mode != Reporter.Mode.JSON) {
                    rep.println("resuming " + bd + (next == null ? " (every part recorded)" : " at " + next.id()));
                }
            }
            Build.Result r = Build.run(spec, o, rep);
            if (mode != Reporter.Mode.JSON && !quiet) {
                for (Path a : r.artifacts()) rep.println(a.toString());
            }
        }
    }

    /** {@code {"event":"pretend","packages":[…],"warnings":[…],"parts":{…}}}: the pretend result as one JSON line. */
    private static String pretendJson(Pretend p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "pretend");
        List<Map<String, Object>> pkgs = new ArrayList<>();
        if (p.plan() != null) {
            for (PlannedPackage pp : p.plan().packages()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("cpv", pp.cpv().toString());
                e.put("binhost", pp.binhost());
                e.put("path", pp.path());
                e.put("size", pp.size());
                e.put("use", new TreeSet<>(pp.use()));
                e.put("iuse", new TreeSet<>(pp.iuse()));
                pkgs.add(e);
            }
        }
        m.put("packages", pkgs);
        m.put("warnings", p.warnings());
        Map<String, String> parts = new LinkedHashMap<>();
        p.parts().forEach((k, v) -> parts.put(k.id(), v));
        m.put("parts", parts);
        try {
            return new ObjectMapper().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ctrl-C: what was running, and the command that continues from there. */
    private void interrupted(Reporter rep) {
        List<String> resume = new java.util.ArrayList<>(List.of("stageforge", "build"));
        if (specFile != null) resume.add(specFile.toString());
        if (buildDir != null) resume.addAll(List.of("--build-dir", buildDir.toString()));
        if (output != null) resume.addAll(List.of("--output", output.toString()));
        if (locked != null) resume.addAll(List.of("--locked", locked.toString()));
        resume.add("--resume");
        String what = "interrupted during " + (rep.current() == null ? "startup" : rep.current());
        String command = OnInterrupt.command(resume);
        rep.interrupted(what, command);
        cmd.commandLine().getErr().println("stageforge: " + what + "; resume with: " + command);
        cmd.commandLine().getErr().flush();
    }

    static Set<Part> parts(List<String> names) {
        Set<Part> s = EnumSet.noneOf(Part.class);
        for (String n : names) s.add(Part.of(n));
        return s;
    }
}

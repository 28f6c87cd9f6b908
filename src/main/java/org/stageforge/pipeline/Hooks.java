package org.stageforge.pipeline;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Hooks of a part: the executables in {@code hooks/before-<part>.d/} (or {@code after-}) next to the spec, in
 * lexical order of their names, then the spec's inline {@code [hooks]} commands (run with {@code /bin/sh -c}) in the
 * order written. Each runs in the spec's directory with the build environment; its output goes to the part log.
 * The first failing hook fails the part with the last lines of its stderr.
 */
final class Hooks {
    private static final int TAIL = 10;

    private Hooks() {}

    /** One hook: a display name and its command line. */
    record Hook(String name, List<String> command) {}

    static List<Hook> of(Path specDir, Map<String, List<String>> inline, String when, Part part) {
        String key = when + "-" + part.id();
        List<Hook> hooks = new ArrayList<>();
        Path d = specDir.resolve("hooks").resolve(key + ".d");
        if (Files.isDirectory(d)) {
            try (var s = Files.list(d)) {
                for (Path p : s.sorted().toList()) {
                    if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                        hooks.add(new Hook("hooks/" + key + ".d/" + p.getFileName(), List.of(p.toAbsolutePath().toString())));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<String> cmds = inline.getOrDefault(key, List.of());
        for (int i = 0; i < cmds.size(); i++) {
            hooks.add(new Hook("[hooks] " + key + "[" + i + "]", List.of("/bin/sh", "-c", cmds.get(i))));
        }
        return hooks;
    }

    /**
     * What would silently not run: entries of {@code hooks/} that are not {@code before-PART.d} or
     * {@code after-PART.d} directories (with the likely intended name), and files in hook directories that are not
     * executable.
     */
    static List<String> problems(Path specDir) {
        List<String> out = new ArrayList<>();
        List<String> valid = new ArrayList<>();
        for (String w : List.of("after-", "before-")) for (Part p : Part.values()) valid.add(w + p.id() + ".d");
        for (Path e : org.stageforge.util.Dirs.sortedChildren(specDir.resolve("hooks"))) {
            String name = e.getFileName().toString();
            if (!valid.contains(name) || !Files.isDirectory(e)) {
                String dym = org.stageforge.util.Suggest.didYouMean(name, valid);
                out.add("hooks/" + name + " is not a hook directory and is ignored"
                        + (dym.isEmpty() ? " (hooks/before-PART.d/ or hooks/after-PART.d/)" : dym));
                continue;
            }
            for (Path f : org.stageforge.util.Dirs.sortedChildren(e)) {
                if (Files.isRegularFile(f) && !Files.isExecutable(f)) {
                    out.add("hooks/" + name + "/" + f.getFileName() + " is not executable and does not run (chmod +x it)");
                }
            }
        }
        return out;
    }

    /** Digest of the hooks' names and contents (part of the part's fingerprint). */
    static void digest(MessageDigest md, List<Hook> hooks) {
        for (Hook h : hooks) {
            md.update(h.name().getBytes(StandardCharsets.UTF_8));
            for (String c : h.command()) md.update(c.getBytes(StandardCharsets.UTF_8));
            Path p = Path.of(h.command().get(0));
            if (h.command().size() == 1) {
                try {
                    md.update(Files.readAllBytes(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    static void run(List<Hook> hooks, Path cwd, Map<String, String> env, Reporter rep, Part part) {
        for (Hook h : hooks) {
            ProcessBuilder pb = new ProcessBuilder(h.command()).directory(cwd.toFile());
            pb.environment().putAll(env);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            int exit;
            List<String> out = new ArrayList<>();
            Deque<String> errTail = new ArrayDeque<>();
            try {
                Process p = pb.start();
                Thread t = new Thread(() -> collect(p.getErrorStream(), errTail));
                t.start();
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) out.add(l);
                }
                exit = p.waitFor();
                t.join();
            } catch (IOException e) {
                throw new StageforgeException(part.id() + ": hook " + h.name() + " could not run: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StageforgeException(part.id() + ": interrupted in hook " + h.name(), e);
            }
            for (String l : out) rep.log("[" + h.name() + "] " + l);
            synchronized (errTail) {
                for (String l : errTail) rep.log("[" + h.name() + "] stderr: " + l);
            }
            rep.hook(part, h.name(), exit);
            if (exit != 0) {
                String tail;
                synchronized (errTail) {
                    tail = errTail.isEmpty() ? "" : ": " + String.join(" | ", errTail);
                }
                throw new StageforgeException(part.id() + ": hook " + h.name() + " failed with exit " + exit + tail,
                        ExitCodes.FAILURE, null);
            }
        }
    }

    private static void collect(java.io.InputStream in, Deque<String> tail) {
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                synchronized (tail) {
                    tail.addLast(l);
                    if (tail.size() > TAIL) tail.removeFirst();
                }
            }
        } catch (IOException ignored) {
            // the exit status reports the failure
        }
    }
}

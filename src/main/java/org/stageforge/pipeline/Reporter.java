package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a build tells what it does: the console ({@link Mode}), a progress bar over the parts on a terminal, and
 * the per-part log {@code BUILD_DIR/logs/<part>.log} (hook output, commands, file actions).
 */
public final class Reporter implements AutoCloseable {
    /** Console verbosity. */
    public enum Mode {
        /** A line per part with its outcome, a progress bar on a terminal. */
        NORMAL,
        /** A line per part, nothing else. */
        QUIET,
        /** Also every command and file action. */
        VERBOSE,
        /** One JSON object per line: part-start, part-end, hook, file, warning, error. */
        JSON
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final PrintWriter out;
    private final Mode mode;
    private final Path logDir;
    private final TerminalStatus.Bar bar;
    private final boolean noColor;
    /** The bars' screen area (terminal, NORMAL mode), which console lines go through; else null. */
    private final TerminalStatus status;
    /** What runs now, for an interruption message: the part, and the last package it finished. */
    private volatile String current;
    private BufferedWriter log;

    /**
     * @param tty      the console is a terminal (progress bar in NORMAL mode)
     * @param noColor  NO_COLOR is set: the bar uses plain ASCII
     */
    public Reporter(PrintWriter out, Mode mode, Path logDir, boolean tty, boolean noColor, int parts) {
        this.out = out;
        this.mode = mode;
        this.logDir = logDir;
        this.noColor = noColor;
        this.status = tty && mode == Mode.NORMAL ? new TerminalStatus(out, 0) : null;
        this.bar = status != null ? status.open(new ProgressBarBuilder().setTaskName("build").setInitialMax(parts)
                .setStyle(noColor ? ProgressBarStyle.ASCII : ProgressBarStyle.COLORFUL_UNICODE_BLOCK).continuousUpdate()) : null;
    }

    /** A reporter that prints nothing and logs under {@code logDir}. */
    public static Reporter silent(Path logDir) {
        return new Reporter(new PrintWriter(java.io.Writer.nullWriter()), Mode.QUIET, logDir, false, true, 0);
    }

    void partStart(Part p) {
        closeLog();
        try {
            Files.createDirectories(logDir);
            log = Files.newBufferedWriter(logDir.resolve(p.id() + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        current = p.id();
        if (mode == Mode.JSON) event("part-start", "part", p.id());
        if (bar != null) bar.bar().setExtraMessage(p.id());
    }

    /** {@code outcome}: done, reused, skipped or failed. */
    void partEnd(Part p, String outcome, long millis) {
        switch (mode) {
            case JSON -> event("part-end", "part", p.id(), "outcome", outcome, "millis", millis);
            case QUIET -> out.println(p.id() + ": " + outcome);
            default -> {
                if (bar != null) bar.bar().step();
                else println(String.format("%-9s %-7s %6.2fs", p.id(), outcome, millis / 1000.0));
            }
        }
        out.flush();
        log("part " + p.id() + ": " + outcome);
        closeLog();
    }

    /**
     * A byte progress bar for downloading {@code total} bytes (terminal, NORMAL mode only; otherwise a listener
     * that does nothing). Close it when done.
     */
    Bytes bytes(String task, long total) {
        if (status == null || total <= 0) return new Bytes(null);
        return new Bytes(status.open(new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" MiB", 1 << 20)
                .setStyle(noColor ? ProgressBarStyle.ASCII : ProgressBarStyle.COLORFUL_UNICODE_BLOCK)));
    }

    /**
     * A package-count progress bar (terminal, NORMAL mode only; otherwise it does nothing): {@code step()}
     * once per package. Close it when done.
     */
    Packages packages(String task, int total) {
        String part = current;
        if (status == null || total <= 0) return new Packages(null, part);
        return new Packages(status.open(new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(noColor ? ProgressBarStyle.ASCII : ProgressBarStyle.COLORFUL_UNICODE_BLOCK)), part);
    }

    /** Per-package progress over a bar (or nothing). */
    final class Packages implements AutoCloseable {
        private final TerminalStatus.Bar bar;
        private final String part;

        Packages(TerminalStatus.Bar bar, String part) {
            this.bar = bar;
            this.part = part;
        }

        void step(String label) {
            current = part + ", after " + label;
            if (bar == null) return;
            bar.bar().setExtraMessage(label);
            bar.bar().step();
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }

    /** Download progress: a {@link org.stageforge.binhost.FetchListener} over a bar (or nothing). */
    static final class Bytes implements org.stageforge.binhost.FetchListener, AutoCloseable {
        private final TerminalStatus.Bar bar;

        Bytes(TerminalStatus.Bar bar) {
            this.bar = bar;
        }

        @Override
        public void bytes(org.stageforge.binhost.BinpkgRef ref, long delta) {
            if (bar != null) bar.bar().stepBy(delta);
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }

    void hook(Part p, String hook, int exit) {
        if (mode == Mode.JSON) event("hook", "part", p.id(), "hook", hook, "exit", exit);
        else if (mode == Mode.VERBOSE) println("  hook " + hook + " -> " + exit);
        log("hook " + hook + " exited " + exit);
    }

    /** A command run or a file action (VERBOSE and JSON only on the console; always in the log). */
    void action(String kind, String what) {
        if (mode == Mode.JSON) event("file", "action", kind, "path", what);
        else if (mode == Mode.VERBOSE) println("  " + kind + " " + what);
        log(kind + " " + what);
    }

    void warning(String msg) {
        if (mode == Mode.JSON) event("warning", "message", msg);
        else println("warning: " + msg);
        out.flush();
        log("warning: " + msg);
    }

    /** The last event of a build: its outcome (done or failed) and the published artifacts. */
    void buildEnd(String outcome, List<Build.Artifact> artifacts) {
        if (mode != Mode.JSON) return;
        List<Map<String, Object>> l = new ArrayList<>();
        for (Build.Artifact a : artifacts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", a.path().toString());
            m.put("sha256", a.sha256());
            m.put("size", a.size());
            l.add(m);
        }
        event("build-end", "outcome", outcome, "artifacts", l);
        out.flush();
    }

    void error(String msg) {
        if (mode == Mode.JSON) {
            event("error", "message", msg);
            out.flush();
        }
        log("error: " + msg);
    }

    /** What the build was doing: the current part, and within install the last package merged (null before any). */
    public String current() {
        return current;
    }

    /**
     * The build was interrupted (Ctrl-C): the bars leave the screen so the caller's message stands alone, and the
     * JSON stream ends with an error event naming what was interrupted and how to resume.
     */
    public void interrupted(String message, String resume) {
        if (status != null) status.clear();
        if (mode == Mode.JSON) event("error", "message", message, "interrupted", true, "resume", resume);
        out.flush();
    }

    /** A console line, above the progress bars when they are shown. */
    public void println(String line) {
        if (status != null) status.println(line);
        else out.println(line);
    }

    /** A line for the current part's log only. */
    void log(String line) {
        if (log == null) return;
        try {
            log.write(line);
            log.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void event(String type, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", type);
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        try {
            out.println(MAPPER.writeValueAsString(m));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void closeLog() {
        if (log == null) return;
        try {
            log.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            log = null;
        }
    }

    @Override
    public void close() {
        closeLog();
        if (bar != null) bar.close();
        out.flush();
    }
}

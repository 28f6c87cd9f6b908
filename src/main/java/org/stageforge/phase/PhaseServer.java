package org.stageforge.phase;

import org.stageforge.StageforgeException;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A shell that runs the phase drivers of a batch ({@code phase-server.sh}), confined once in namespaces
 * ({@code sandbox.sh}) instead of once per phase: setting up the sandbox costs some thirty processes (mounts), a
 * phase run then costs one fork and one exec of bash. Every phase still starts from an empty environment in a forked
 * child, and the server kills what a phase leaves running and empties /tmp after it. ROOT and the build directory (and
 * an image outside it) are the writable directories; a run that needs others gets a new server. The server ends by
 * itself after {@link #IDLE} without a request and when the JVM ends (end of its input); on a timeout or an interrupt
 * its whole process tree is killed.
 */
final class PhaseServer {
    static final Duration IDLE = Duration.ofSeconds(10);
    private static final String EOF = "\0eof";

    private final Isolation isolation;
    private final List<Path> writable;
    /** The writable directories' identities: one removed and made again is not the one bound in the sandbox. */
    private final List<Object> keys;
    private final Process process;
    private final OutputStream requests;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

    private PhaseServer(Isolation isolation, List<Path> writable, Process process) throws IOException {
        this.isolation = isolation;
        this.writable = List.copyOf(writable);
        this.keys = keys(writable);
        this.process = process;
        this.requests = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) replies.add(line);
            } catch (IOException e) {
                // the server is gone: EOF below tells the waiting caller
            }
            replies.add(EOF);
        }, "stageforge-phase-server");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a server (set up in namespaces when {@code isolation} is NAMESPACE) and waits until it is ready.
     *
     * @param tools    holds sandbox.sh and phase-server.sh
     * @param writable the directories phases may write (NAMESPACE only)
     * @param errors   the server's own errors (a sandbox that cannot be set up) go here
     */
    static PhaseServer start(Isolation isolation, Path tools, List<Path> writable, Path errors, Duration timeout)
            throws IOException, InterruptedException {
        String bash = BashPhaseRunner.hostTool("bash");
        List<String> cmd = new ArrayList<>();
        if (isolation == Isolation.NAMESPACE) {
            Path newRoot = Files.createDirectories(tools.resolve("sandbox"));
            cmd.add(BashPhaseRunner.hostTool("unshare"));
            if (!BashPhaseRunner.privileged()) {
                cmd.add("--user");
                cmd.add("--map-root-user");
            }
            BashPhaseRunner.hostTool("setpriv");
            BashPhaseRunner.hostTool("pivot_root");
            cmd.addAll(List.of("--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", bash,
                    tools.resolve("sandbox.sh").toString(), newRoot.toString(), Integer.toString(writable.size())));
            for (Path p : writable) cmd.add(p.toString());
            cmd.add("--");
        }
        cmd.addAll(List.of(bash, "--noprofile", "--norc", tools.resolve("phase-server.sh").toString(),
                isolation == Isolation.NAMESPACE ? "1" : "0", Long.toString(IDLE.toSeconds()), bash));
        if (isolation == Isolation.NAMESPACE) for (Path p : writable) cmd.add(p.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(Map.of("LC_ALL", "C", "TZ", "UTC", "PATH", BashPhaseRunner.HOST_PATH));
        pb.directory(tools.toFile());
        pb.redirectError(ProcessBuilder.Redirect.to(errors.toFile()));
        PhaseServer s = new PhaseServer(isolation, writable, pb.start());
        String first = s.replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!"ready".equals(first)) {
            s.kill();
            String why = Files.readString(errors).strip();
            int nl = why.lastIndexOf('\n');
            throw new StageforgeException("could not set up the phase sandbox"
                    + (isolation == Isolation.NAMESPACE ? " in private namespaces (unshare)" : "") + ": "
                    + (first == null ? "timed out" : (nl >= 0 ? why.substring(nl + 1) : why)));
        }
        return s;
    }

    /** Whether this server may run a phase with these needs. */
    boolean serves(Isolation isolation, List<Path> writable) throws IOException {
        return this.isolation == isolation && process.isAlive() && (isolation == Isolation.NONE
                || writable.stream().allMatch(w -> this.writable.stream().anyMatch(w::startsWith))
                && keys(this.writable).equals(keys));
    }

    private static List<Object> keys(List<Path> dirs) throws IOException {
        List<Object> out = new ArrayList<>();
        for (Path d : dirs) {
            out.add(Files.exists(d) ? Files.readAttributes(d, java.nio.file.attribute.BasicFileAttributes.class)
                    .fileKey() : null);
        }
        return out;
    }

    /** What {@link #run} answers when the server ended for idleness before reading the request: start another. */
    static final int GONE = Integer.MIN_VALUE;

    /**
     * Runs {@code bash driver} in {@code dir}, output appended to {@code log}. Returns its exit status, {@link #GONE}
     * when the server had ended, or empty after killing the server when {@code timeout} passed.
     */
    OptionalInt run(Path dir, Path log, Path driver, Duration timeout) throws IOException, InterruptedException {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        for (Path p : List.of(dir, log, driver)) {
            req.write(p.toString().getBytes(StandardCharsets.UTF_8));
            req.write(0);
        }
        try {
            requests.write(req.toByteArray());
            requests.flush();
        } catch (IOException e) {
            kill();
            return OptionalInt.of(GONE);
        }
        String reply;
        try {
            reply = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill();
            throw e;
        }
        if (reply == null) {
            kill();
            return OptionalInt.empty();
        }
        if (reply.equals("bye") || reply.equals(EOF)) {
            kill();
            if (reply.equals("bye")) return OptionalInt.of(GONE);
            throw new IOException("the phase server ended unexpectedly (killed?)");
        }
        return OptionalInt.of(Integer.parseInt(reply));
    }

    /** Kills the server and everything it started. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

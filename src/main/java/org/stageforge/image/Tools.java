package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The external programs image writers run (mksquashfs, mkfs.erofs, fakeroot, mkfs.ext4, debugfs, mkfs.vfat, mtools,
 * sfdisk, qemu-img): found on PATH (or /usr/sbin, /sbin, which a normal user's PATH often lacks), run with their
 * output kept for the message.
 */
final class Tools {
    private Tools() {}

    /** {@code name} on PATH, else a one-line error naming the Debian package that has it and what needs it. */
    static Path find(String name, String debianPackage, String forWhat) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String d : (path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        throw new StageforgeException(forWhat + " needs " + name + " (Debian package " + debianPackage
                + "), which is not on PATH", null);
    }

    /** Where each disk-image tool comes from, for the message when it is missing. */
    private static final Map<String, String> PACKAGES = Map.ofEntries(Map.entry("mkfs.ext4", "e2fsprogs"),
            Map.entry("debugfs", "e2fsprogs"), Map.entry("mkfs.vfat", "dosfstools"), Map.entry("mcopy", "mtools"),
            Map.entry("mmd", "mtools"), Map.entry("mren", "mtools"), Map.entry("mdir", "mtools"), Map.entry("mtype", "mtools"),
            Map.entry("sfdisk", "fdisk"), Map.entry("qemu-img", "qemu-utils"), Map.entry("objcopy", "binutils"),
            Map.entry("readelf", "binutils"));

    /** The full path of a disk-image tool. */
    static String find(String name) {
        return find(name, PACKAGES.getOrDefault(name, "?"), "disk image").toString();
    }

    /**
     * Runs {@code cmd} in {@code dir} with {@code env} added; a non-zero exit fails with a one-line error naming
     * {@code subject} and the program's last line of error output.
     */
    static void run(List<String> cmd, Path dir, Map<String, String> env, String program, Path subject) throws IOException {
        start(cmd, dir, env, program, subject).await();
    }

    /** Starts what {@link #run(List, Path, Map, String, Path)} runs; the caller awaits or stops it. */
    static Running start(List<String> cmd, Path dir, Map<String, String> env, String program, Path subject) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Path log = Files.createTempFile(subject.getParent(), "." + program + ".", ".log");
        try {
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            return new Running(pb.start(), log, program, subject);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(log);
            throw e;
        }
    }

    /** A started program with its output file. */
    record Running(Process process, Path log, String program, Path subject) {
        /** Waits for the end; a non-zero exit is the error {@link #run(List, Path, Map, String, Path)} describes. */
        void await() throws IOException {
            try {
                int rc;
                try {
                    rc = process.waitFor();
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
                if (rc != 0) {
                    List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().map(String::strip)
                            .filter(l -> !l.isEmpty()).toList();
                    String last = lines.isEmpty() ? "no message" : lines.get(lines.size() - 1);
                    throw new StageforgeException("cannot write " + subject + ": " + program + " failed (exit " + rc + "): " + last, null);
                }
            } finally {
                Files.deleteIfExists(log);
            }
        }

        /** Kills the program and waits until it is gone (its output is of no interest). */
        void stop() throws IOException {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }

    /**
     * Runs {@code cmd} with a fixed locale and timezone (plus {@code env}), stdin from {@code stdin} (null: none);
     * a failure is one line with the tool's last output line.
     */
    static String run(List<String> cmd, Map<String, String> env, String stdin) throws IOException {
        List<String> c = new java.util.ArrayList<>(cmd);
        c.set(0, find(cmd.get(0)));
        ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("TZ", "UTC");
        pb.environment().putAll(env);
        Path in = null;
        if (stdin != null) {
            in = Files.createTempFile("stageforge-stdin", ".txt");
            Files.writeString(in, stdin, StandardCharsets.UTF_8);
            pb.redirectInput(in.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            if (in != null) Files.deleteIfExists(in);
            throw new StageforgeException(cmd.get(0) + ": cannot run: " + e.getMessage(), ExitCodes.FAILURE, e);
        }
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                String[] lines = out.strip().split("\n");
                throw new StageforgeException(cmd.get(0) + " failed (exit " + p.exitValue() + "): " + lines[lines.length - 1].strip(), ExitCodes.FAILURE, null);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(cmd.get(0) + ": interrupted", e);
        } finally {
            if (in != null) Files.deleteIfExists(in);
        }
        return out;
    }
}

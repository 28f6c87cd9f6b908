package org.stageforge.image;

import org.stageforge.StageforgeException;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The external programs image writers run: found on PATH, run with their error output kept for the message. */
final class Tools {
    private Tools() {}

    /** {@code name} on PATH, else a one-line error naming the Debian package that has it and what needs it. */
    static Path find(String name, String debianPackage, String forWhat) {
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" : path).split(File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        throw new StageforgeException(forWhat + " needs " + name + " (Debian package " + debianPackage
                + "), which is not on PATH", null);
    }

    /**
     * Runs {@code cmd} in {@code dir} with {@code env} added; a non-zero exit fails with a one-line error naming
     * {@code subject} and the program's last line of error output.
     */
    static void run(List<String> cmd, Path dir, Map<String, String> env, String program, Path subject) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Path log = Files.createTempFile(subject.getParent(), "." + program + ".", ".log");
        try {
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            int rc;
            try {
                rc = p.waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
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
}

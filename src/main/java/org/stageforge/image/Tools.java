package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Runs the Debian tools that write file systems and partition tables (mkfs.ext4, debugfs, mkfs.vfat, mtools, sfdisk, qemu-img). */
final class Tools {
    private Tools() {}

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

    /** The full path of tool {@code name} on the PATH or in /usr/sbin, /sbin (a normal user's PATH often lacks them). */
    static String find(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String d : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) return Path.of(d, name).toString();
        }
        throw new StageforgeException(name + ": not found (disk images need e2fsprogs, dosfstools, mtools, fdisk; qcow2 qemu-utils)",
                ExitCodes.NOT_FOUND, null);
    }
}

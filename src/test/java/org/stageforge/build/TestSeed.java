package org.stageforge.build;

import org.junit.jupiter.api.Assumptions;
import org.stageforge.testutil.DebianMirror;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Debian 12 stand-in for a Gentoo stage3 (see ../shared/tools/README.md): {@code mmdebstrap} minbase with a
 * compiler, Python and Portage from {@code STAGEFORGE_TOOLS/portage-*.tar.xz} (default {@code ../shared/tools})
 * unpacked at {@code /usr/lib/portage-src} behind {@code /usr/bin/emerge} etc. wrappers, plus {@code gtar}, and dracut
 * (a Gentoo stage3 has none, but a seed with {@code sys-kernel/dracut} merged is what {@code initramfs_builder = "dracut"} runs).
 * <p>
 * Built once: {@code target/test-seed/DIGEST/seed.tar} (+ {@code seed.tar.sha512}), DIGEST covering everything that
 * goes into it (the mmdebstrap arguments, the hook, the Portage tarball, the machine's apt sources), so later runs
 * in the same checkout reuse it. A file lock (plus a JVM monitor) makes parallel test classes and forks share one
 * build. Tests that need it are skipped, with the reason, when the tools, mmdebstrap or root are missing.
 */
public final class TestSeed {
    private TestSeed() {}

    /** What {@code [seed] path/sha512} name. */
    public record Tarball(Path path, String sha512) {}

    private static final List<String> WRAPPERS =
            List.of("emerge", "ebuild", "egencache", "emerge-webrsync", "quickpkg", "portageq");
    /** dracut with its {@code network} module (which the controller's dracut module needs when it has a server). */
    private static final String PACKAGES =
            "python3,gcc,libc6-dev,make,zstd,xz-utils,bzip2,patch,gawk,file,pax-utils,wget,dracut-core,dracut-network";

    private static Tarball tarball;
    private static RuntimeException failure;
    private static SeedRoot root;

    public static Path tools() {
        String env = System.getenv("STAGEFORGE_TOOLS");
        if (env == null || env.isEmpty()) env = "../shared/tools";
        return Path.of(env).toAbsolutePath().normalize();
    }

    /** The seed tarball, built on first use; skips the test when it cannot be built here. */
    public static synchronized Tarball tarball() {
        // a failed build fails every later caller at once: mmdebstrap takes minutes to fail each time
        if (failure != null) throw failure;
        if (tarball == null) {
            try {
                tarball = build();
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }
        return tarball;
    }

    /**
     * The seed unpacked by root (real owners, device nodes), once per tarball digest, for tests of the sandbox alone.
     * Skips the test when not run by root.
     */
    public static synchronized SeedRoot root() {
        if (root != null) return root;
        Tarball t = tarball();
        Assumptions.assumeTrue(isRoot(), "the unpacked test seed needs root (tar keeps owners and device nodes)");
        Path dir = t.path().resolveSibling("root");
        Path done = t.path().resolveSibling("root.done");
        withLock(t.path().resolveSibling("root.lock"), () -> {
            if (Files.exists(done)) return;
            deleteTree(dir);
            Files.createDirectories(dir);
            run(List.of("tar", "-x", "-p", "--numeric-owner", "--xattrs", "-f", t.path().toString(), "-C", dir.toString()),
                    null, 600);
            Files.writeString(done, t.sha512() + "\n");
        });
        root = new SeedRoot(dir, t.sha512(), true);
        return root;
    }

    /** The uid and gid tests use as "a normal user" (through setpriv, numeric: never a host user name). */
    public static final int USER = 65534;
    private static SeedRoot userRoot;

    /**
     * The seed unpacked by {@link #USER} (files owned by that user, no device nodes), as {@code Seed.prepare} leaves it
     * for a normal user, for sandbox tests run as that user. Skips the test when not run by root (setpriv).
     */
    public static synchronized SeedRoot userRoot() {
        if (userRoot != null) return userRoot;
        Tarball t = tarball();
        Assumptions.assumeTrue(isRoot() && onPath("setpriv"), "running as a normal user needs root and setpriv");
        Path dir = t.path().resolveSibling("user-root");
        Path done = t.path().resolveSibling("user-root.done");
        withLock(t.path().resolveSibling("user-root.lock"), () -> {
            if (Files.exists(done)) return;
            deleteTree(dir);
            Files.createDirectories(dir);
            run(List.of("chown", USER + ":" + USER, dir.toString()), null, 60);
            run(asUser(List.of("tar", "-x", "--no-same-owner", "--exclude=./dev/*", "-f", t.path().toString(),
                    "-C", dir.toString())), null, 600);
            Files.writeString(done, t.sha512() + "\n");
        });
        userRoot = new SeedRoot(dir, t.sha512(), false);
        return userRoot;
    }

    /** The test JVM's class path, copied where uid 65534 can read it (Maven's repository is root's own). */
    public static String readableClassPath(Path into) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        Files.createDirectories(into);
        int i = 0;
        for (String e : cp.split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isRegularFile(p)) {
                Path copy = into.resolve(i++ + "-" + p.getFileName());
                Files.copy(p, copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                out.add(copy.toString());
            } else if (Files.isDirectory(p)) {
                out.add(p.toString());
            }
        }
        return String.join(File.pathSeparator, out);
    }

    /** {@code cmd} run as {@link #USER} with no supplementary groups. */
    public static List<String> asUser(List<String> cmd) {
        List<String> l = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups"));
        l.addAll(cmd);
        return l;
    }

    private static Tarball build() {
        Path tools = tools();
        Path portage;
        try (Stream<Path> s = Files.isDirectory(tools) ? Files.list(tools) : Stream.empty()) {
            portage = s.filter(p -> p.getFileName().toString().matches("portage-.*\\.tar\\.xz")).sorted().findFirst()
                    .orElse(null);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        Assumptions.assumeTrue(portage != null,
                "no portage-*.tar.xz in " + tools + " (set STAGEFORGE_TOOLS to ../shared/tools)");
        String hook = hook(portage);
        List<String> argv = List.of("mmdebstrap", "--quiet", "--mode=root", "--variant=minbase", "--include=" + PACKAGES,
                "--customize-hook=" + hook, "bookworm");
        MessageDigest md = sha("SHA-256");
        for (String a : argv) md.update((a + "\0").getBytes(StandardCharsets.UTF_8));
        try {
            md.update(Files.readAllBytes(portage));
            for (Path p : DebianMirror.sources()) md.update(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        String digest = HexFormat.of().formatHex(md.digest()).substring(0, 24);
        Path dir = Path.of("target/test-seed", digest).toAbsolutePath();
        Path tar = dir.resolve("seed.tar");
        Path sum = dir.resolve("seed.tar.sha512");
        withLock(dir.resolve("build.lock"), () -> {
            if (Files.exists(sum)) return;
            Assumptions.assumeTrue(onPath("mmdebstrap"), "mmdebstrap is not installed (.ci/run installs it)");
            Assumptions.assumeTrue(isRoot(), "building the test seed needs root (mmdebstrap --mode=root)");
            String offline = DebianMirror.unreachable();
            Assumptions.assumeTrue(offline == null, () -> "mmdebstrap cannot build the test seed: " + offline);
            Path part = dir.resolve("seed.part.tar"); // mmdebstrap picks the output format by the extension
            Files.deleteIfExists(part);
            List<String> cmd = new ArrayList<>(argv);
            cmd.add(part.toString());
            long t0 = System.nanoTime();
            run(cmd, dir.resolve("mmdebstrap.log"), 1800);
            System.err.printf("TestSeed: mmdebstrap built %s in %d s%n", tar,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
            Files.move(part, tar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(sum, sha512(tar) + "\n");
        });
        try {
            return new Tarball(tar, Files.readString(sum).strip());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** mmdebstrap's customize hook: runs on the host with the new root as $1. */
    private static String hook(Path portage) {
        StringBuilder sb = new StringBuilder("set -e; r=\"$1\"; mkdir -p \"$r/usr/lib/portage-src\"; ")
                .append("tar -xJf '").append(portage).append("' -C \"$r/usr/lib/portage-src\" --strip-components=1; ");
        for (String w : WRAPPERS) {
            sb.append("printf '#!/bin/sh\\nexec python3 /usr/lib/portage-src/bin/").append(w)
                    .append(" \"$@\"\\n' > \"$r/usr/bin/").append(w).append("\"; chmod 0755 \"$r/usr/bin/").append(w)
                    .append("\"; ");
        }
        // precompiled Portage modules save every emerge run compiling them again (only a speedup, hence || true)
        sb.append("chroot \"$r\" python3 -m compileall -q /usr/lib/portage-src/lib >/dev/null || true; ");
        return sb.append("ln -sf tar \"$r/usr/bin/gtar\"").toString();
    }

    static boolean isRoot() {
        try {
            return "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip());
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, cmd))) return true;
        }
        return false;
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void withLock(Path lock, IoAction a) {
        try {
            Files.createDirectories(lock.getParent());
            try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock l = ch.lock()) {
                a.run();
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void run(List<String> cmd, Path log, int timeoutSeconds) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (log != null) pb.redirectOutput(log.toFile());
        else pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(cmd.get(0) + " timed out after " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(cmd.get(0) + " failed with exit " + p.exitValue() + (log == null ? "" : ", see " + log));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) run(List.of("rm", "-rf", "--one-file-system", dir.toString()), null, 600);
    }

    static String sha512(Path f) throws IOException {
        MessageDigest md = sha("SHA-512");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0; ) md.update(b, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

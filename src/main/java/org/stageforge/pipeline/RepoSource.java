package org.stageforge.pipeline;

import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.snapshot.RepoTree;
import org.stageforge.snapshot.Snapshots;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Brings an ebuild repository (the main one, what the profile lives in, or an overlay) into place and digests it: a
 * directory is used in place and digested over its whole tree ({@link RepoTree#digest}: ebuilds, eclasses, files/,
 * metadata/, profiles/; {@code .git} left out), checked against the spec's pinned digest when it has one; a git
 * commit is exported with host git ({@code git archive}) into the build directory; a snapshot tarball (fetched first
 * when it is a URL) is checked against its digest and/or its {@code .gpgsig} and {@code .md5sum} with the keyring, as
 * emerge-webrsync does, and unpacked with host tar (a single top-level directory is entered).
 */
final class RepoSource {
    private RepoSource() {}

    record Fetched(Path dir, String digest) {}

    static Fetched fetch(StageSpec.Repo repo, Path target, Reporter rep) throws IOException {
        return fetch(repo, "[repo]", target, rep);
    }

    /** {@code what} names the spec table in messages ("[repo]", "[[overlay]] NAME"). */
    static Fetched fetch(StageSpec.Repo repo, String what, Path target, Reporter rep) throws IOException {
        if (repo instanceof StageSpec.DirRepo d) {
            if (!Files.isDirectory(d.path().resolve("profiles"))) {
                throw new StageforgeException(what + " path " + d.path() + " has no profiles/ directory", ExitCodes.NOT_FOUND, null);
            }
            String digest = "tree:" + RepoTree.digest(d.path());
            if (d.digest() != null && !d.digest().equals(digest)) {
                throw new StageforgeException(what + " path " + d.path() + ": its digest " + digest
                        + " does not match the spec's " + d.digest(), ExitCodes.VERIFY, null);
            }
            return new Fetched(d.path(), digest);
        }
        // git commits and verified snapshots are immutable: an export made from the same source is kept
        Path marker = target.resolveSibling(target.getFileName() + ".source");
        String source = repo.toString();
        if (Files.isRegularFile(marker) && Files.isDirectory(target)) {
            String[] m = Files.readString(marker).split("\n", 3);
            if (m.length == 3 && m[0].equals(source)) return new Fetched(Path.of(m[1]), m[2].strip());
        }
        Files.deleteIfExists(marker);
        Fetched f = export(repo, what, target, rep);
        StateStore.writeAtomically(marker, (source + "\n" + f.dir() + "\n" + f.digest() + "\n").getBytes(StandardCharsets.UTF_8));
        return f;
    }

    private static Fetched export(StageSpec.Repo repo, String what, Path target, Reporter rep) throws IOException {
        org.stageforge.util.Dirs.deleteTree(target);
        Files.createDirectories(target);
        if (repo instanceof StageSpec.GitRepo g) {
            Path clone = target.resolveSibling("repo.git");
            org.stageforge.util.Dirs.deleteTree(clone);
            run(rep, List.of("git", "clone", "--quiet", "--bare", g.url(), clone.toString()));
            String commit = capture(List.of("git", "--git-dir", clone.toString(), "rev-parse", "--verify", g.commit() + "^{commit}")).strip();
            run(rep, List.of("sh", "-c", "git --git-dir \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"", "sh",
                    clone.toString(), commit, target.toString()));
            org.stageforge.util.Dirs.deleteTree(clone);
            return new Fetched(target, "git:" + commit);
        }
        StageSpec.SnapshotRepo s = (StageSpec.SnapshotRepo) repo;
        Path tarball = s.path();
        Path download = target.resolveSibling(target.getFileName() + ".download");
        if (s.url() != null) {
            rep.action("fetch", s.url().toString());
            org.stageforge.util.Dirs.deleteTree(download);
            tarball = Snapshots.fetch(s.url(), download);
        }
        if (!Files.isRegularFile(tarball)) {
            throw new StageforgeException(what + " snapshot " + tarball + " does not exist", ExitCodes.NOT_FOUND, null);
        }
        String recorded = null;
        if (s.keyring() != null) {
            Snapshots.Verified v = Snapshots.verify(tarball, s.keyring());
            rep.action("verify", tarball.getFileName() + ": good signature by " + v.signer());
            recorded = "sha512:" + v.sha512();
        }
        if (s.algorithm() != null) {
            String actual = s.algorithm().equals("SHA512") ? Build.digestFile(tarball, "SHA-512") : blake2b(tarball);
            if (!actual.equals(s.digest())) {
                throw new StageforgeException(what + " snapshot " + s.given() + ": " + s.algorithm() + " " + actual.substring(0, 16)
                        + "... does not match the spec's " + s.digest().substring(0, 16) + "...", ExitCodes.VERIFY, null);
            }
            if (recorded == null) recorded = s.algorithm().toLowerCase() + ":" + actual;
        }
        run(rep, List.of("tar", "-x", "--no-same-owner", "--no-same-permissions", "-f", tarball.toString(), "-C", target.toString()));
        org.stageforge.util.Dirs.deleteTree(download);
        Path dir = target;
        try (Stream<Path> st = Files.list(target)) {
            List<Path> top = st.toList();
            if (top.size() == 1 && Files.isDirectory(top.get(0), LinkOption.NOFOLLOW_LINKS)) dir = top.get(0);
        }
        return new Fetched(dir, recorded);
    }

    private static String blake2b(Path f) throws IOException {
        Blake2bDigest d = new Blake2bDigest(512);
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 17];
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        byte[] o = new byte[64];
        d.doFinal(o, 0);
        return HexFormat.of().formatHex(o);
    }

    private static void run(Reporter rep, List<String> cmd) {
        rep.action("run", String.join(" ", cmd));
        String out = capture(cmd);
        if (!out.isBlank()) rep.log(out.strip());
    }

    private static String capture(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new StageforgeException("fetch: '" + String.join(" ", cmd) + "' failed: "
                        + out.strip().lines().reduce((a, b) -> b).orElse(""), ExitCodes.FAILURE, null);
            }
            return out;
        } catch (IOException e) {
            throw new StageforgeException("fetch: cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException("fetch: interrupted", e);
        }
    }
}

package org.stageforge.snapshot;

import org.junit.jupiter.api.Assumptions;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.testutil.SourcePortage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Portage's own {@code emerge-webrsync}, run from the source tarball in STAGEFORGE_TOOLS (default ../shared/tools)
 * with a throw-away configuration root syncing the {@code gentoo} repository into {@link #repo()}, trusting one
 * public key as Gentoo's release key. Skips (JUnit assumption) when Portage or a tool it needs is absent.
 */
public final class Webrsync {
    private final SourcePortage portage;
    private final Path repo;
    private final Map<String, String> env;

    private Webrsync(SourcePortage portage, Path repo, Map<String, String> env) {
        this.portage = portage;
        this.repo = repo;
        this.env = env;
    }

    /** Unpacks Portage into {@code tmp} and writes a configuration root trusting {@code publicKey}. */
    public static Webrsync setUp(Path tmp, Path publicKey) throws Exception {
        for (String t : List.of("rsync", "gpg", "bash", "xz")) {
            Assumptions.assumeTrue(tool(t) != null, t + " is not installed (emerge-webrsync needs it)");
        }
        Path fetcher = tool("wget") != null ? tool("wget") : tool("curl");
        Assumptions.assumeTrue(fetcher != null, "neither wget nor curl is installed (emerge-webrsync's FETCHCOMMAND)");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        SourcePortage portage = SourcePortage.setUp(tmp, "gentoo", repo, "sync-type = webrsync\n");
        Map<String, String> env = new TreeMap<>();
        env.put("DISTDIR", portage.work().toString());
        env.put("PORTAGE_GPG_KEY", publicKey.toString());
        env.put("FETCHCOMMAND", fetcher.getFileName().toString().equals("wget")
                ? "wget -q -O \"${DISTDIR}/${FILE}\" \"${URI}\"" : "curl -fsS -o \"${DISTDIR}/${FILE}\" \"${URI}\"");
        return new Webrsync(portage, repo, env);
    }

    /** The synced repository's location. */
    public Path repo() {
        return repo;
    }

    /** Runs {@code emerge-webrsync ARGS} with {@code GENTOO_MIRRORS=mirror} and {@code extraEnv}. */
    public SourcePortage.Result run(String mirror, Map<String, String> extraEnv, String... args) throws Exception {
        Map<String, String> e = new TreeMap<>(env);
        e.put("GENTOO_MIRRORS", mirror.replaceAll("/+$", ""));
        e.putAll(extraEnv);
        List<String> cmd = new ArrayList<>(List.of(tool("bash").toString(), portage.bin("emerge-webrsync").toString()));
        cmd.addAll(List.of(args));
        return portage.run(cmd, e);
    }

    /**
     * Runs {@code emerge-webrsync ARGS} (without {@code --revert}: the newest snapshot) under libfaketime's
     * {@code faketime} at {@code time} ("YYYY-MM-DD HH:MM:SS" UTC), as it picks dates from the clock.
     */
    public SourcePortage.Result runAt(String time, String mirror, String... args) throws Exception {
        Path faketime = tool("faketime");
        Assumptions.assumeTrue(faketime != null, "faketime is not installed (emerge-webrsync picks the newest date from the clock)");
        Map<String, String> e = new TreeMap<>(env);
        e.put("GENTOO_MIRRORS", mirror.replaceAll("/+$", ""));
        e.put("TZ", "UTC");
        List<String> cmd = new ArrayList<>(List.of(faketime.toString(), "-f", "@" + time, tool("bash").toString(),
                portage.bin("emerge-webrsync").toString()));
        cmd.addAll(List.of(args));
        return portage.run(cmd, e);
    }

    /** An Ed25519 key made at time 0: {@code dir/secret.asc} and {@code dir/public.asc}. */
    public static Path key(Path dir, String uid) throws Exception {
        OpenPgp.GeneratedKey k = OpenPgp.generate(uid, null, new Date(0));
        Files.createDirectories(dir);
        Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Files.write(dir.resolve("public.asc"), k.publicArmored());
        return dir;
    }

    /** A small repository tree (see {@code SnapshotsTest}). */
    public static Path testRepo(Path dir) throws Exception {
        return SnapshotsTest.repo(dir);
    }

    public static Path tool(String name) {
        return SourcePortage.tool(name);
    }
}

package org.stageforge.pipeline;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.build.SandboxPortage;
import org.stageforge.config.ReposConf;
import org.stageforge.profile.RepoMap;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The spec's {@code [[overlay]]} repositories: fetched like the main repository (a directory in place, git commits
 * and snapshots into {@code BUILD_DIR/overlays/NAME}), pinned in the lock by name and digest, and written to
 * repos.conf with their priority. Overlays are not part of the profile (Portage reads an overlay's profiles/ only
 * through a {@code masters} relationship, which stageforge leaves to Portage).
 */
final class Overlays {
    private Overlays() {}

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");

    /** One fetched overlay: its repos.conf name, local directory, digest and priority. */
    record Entry(String name, String dir, String digest, int priority) {
        /** Its repos.conf section, at {@code /var/db/repos/NAME} (stage) or its build-host directory. */
        ReposConf.Section section(boolean stage) {
            return new ReposConf.Section(name, stage ? "/var/db/repos/" + name : Path.of(dir).toAbsolutePath().toString(), priority);
        }

        /** As the build sandbox binds it. */
        SandboxPortage.Repo sandboxRepo() {
            return new SandboxPortage.Repo(name, Path.of(dir).toAbsolutePath(), priority);
        }
    }

    /** Fetches every overlay in spec order; with a lock, each must have the digest the lock pins (exit 4 otherwise). */
    static List<Entry> fetch(StageSpec spec, Path build, Lock lock, Reporter rep) throws IOException {
        List<Entry> out = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of(spec.repo().name()));
        for (int i = 0; i < spec.overlays().size(); i++) {
            StageSpec.Overlay o = spec.overlays().get(i);
            String label = "[[overlay]] " + (o.name() != null ? o.name() : "#" + (i + 1));
            Path target = build.resolve("overlays").resolve(o.name() != null ? o.name() : "#" + (i + 1));
            RepoSource.Fetched f = RepoSource.fetch(o.source(), label, target, rep);
            String name = o.name() != null ? o.name() : repoName(f.dir(), label);
            if (!names.add(name)) {
                throw new StageforgeException(label + ": repository name '" + name + "' is already used", ExitCodes.BAD_INPUT, null);
            }
            rep.action("overlay", name + " " + f.dir() + " (" + f.digest() + ")");
            out.add(new Entry(name, f.dir().toString(), f.digest(), o.priority()));
        }
        if (lock != null) check(lock.overlays(), out);
        return out;
    }

    /** The name an overlay's tree gives itself (profiles/repo_name, else layout.conf's repo-name, as Portage reads it). */
    private static String repoName(Path dir, String label) {
        String name;
        try {
            name = RepoMap.of(dir).mainRepo();
        } catch (StageforgeException e) {
            name = null;
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new StageforgeException(label + " has no name and its profiles/repo_name gives none", ExitCodes.BAD_INPUT, null);
        }
        return name;
    }

    private static void check(List<Lock.Repo> locked, List<Entry> now) {
        List<Lock.Repo> was = locked == null ? List.of() : locked;
        if (was.size() != now.size()) {
            throw new StageforgeException("the lock has " + was.size() + " overlays, the spec " + now.size(), ExitCodes.VERIFY, null);
        }
        for (int i = 0; i < now.size(); i++) {
            Entry e = now.get(i);
            Lock.Repo l = was.get(i);
            if (!l.name().equals(e.name()) || !l.digest().equals(e.digest())) {
                throw new StageforgeException("locked overlay " + l.name() + " " + l.digest() + " differs from " + e.name()
                        + " " + e.digest(), ExitCodes.VERIFY, null);
            }
        }
    }

    /** What the lock records. */
    static List<Lock.Repo> locked(List<Entry> overlays) {
        return overlays.stream().map(e -> new Lock.Repo(e.name(), e.digest())).toList();
    }

}

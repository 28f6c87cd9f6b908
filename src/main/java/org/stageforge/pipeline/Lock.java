package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A lock file (JSON, format {@value #FORMAT}, see docs/spec.md): everything a build resolved, so a replay uses exactly
 * the same inputs.
 *
 * @param format          the lock format ({@value #FORMAT}; a lock without one is format 1)
 * @param stageforge      the version that wrote it
 * @param spec            the spec's file name, relative to the lock's directory
 * @param specSha256      sha256 over {@code sections}: the spec as far as the lock depends on it
 * @param sections        sha256 of the canonical value of each top-level spec key in {@link #PINNED_KEYS} the spec
 *                        has, so a mismatch can say which one changed
 * @param sourceDateEpoch the epoch every timestamp is clamped to
 * @param repo            the repository/profile digest ({@code git:COMMIT}, {@code sha512:..} or {@code tree:..})
 * @param binhosts        each binhost's index digest when locked, in spec order (informative: a replay takes the
 *                        pinned packages whatever the index says now)
 * @param packages        every chosen binary package, in merge order
 * @param overlays        each {@code [[overlay]]}'s repos.conf name and digest (same forms as {@code repo}), in spec
 *                        order (absent in a lock written before overlays: none)
 */
public record Lock(Integer format, String stageforge, String spec, String specSha256, Map<String, String> sections,
                   long sourceDateEpoch, String repo, List<Index> binhosts, List<Pkg> packages, List<Repo> overlays) {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** The lock format this version writes and reads. */
    public static final int FORMAT = 2;

    /** The spec keys fetch and resolve read: what a lock pins. Other keys may change without locking again. */
    public static final List<String> PINNED_KEYS = List.of("repo", "binhost", "profile", "make_conf", "package_use",
            "accept_keywords", "package_mask", "package_unmask", "package_license", "world", "mixins", "kernel", "overlay");

    public Lock {
        sections = sections == null ? null : Map.copyOf(new TreeMap<>(sections));
        binhosts = binhosts == null ? null : List.copyOf(binhosts);
        packages = packages == null ? null : List.copyOf(packages);
        overlays = overlays == null ? List.of() : List.copyOf(overlays);
    }

    /** A pinned overlay: its name in repos.conf and its digest. */
    public record Repo(String name, String digest) {}

    /** One binhost: its URL or directory and the SHA-512 of its Packages index when the lock was made. */
    public record Index(String url, String sha512) {}

    /**
     * One binary package: binhost position (0-based, spec order), PATH in that binhost, SIZE, SHA-512 and BUILD_ID
     * (0: none) of the file, and the atom it adds to the world file (null: none).
     */
    public record Pkg(String cpv, int binhost, String path, long size, String sha512, long buildId, String world) {}

    /**
     * What the parts after resolve depend on: the epoch, the repository and the pinned packages, not the spec's
     * digests or the indexes around the packages (a spec or index change that picks the same packages reuses install).
     */
    String resolution() {
        return sourceDateEpoch + "\n" + repo + "\n" + packages;
    }

    /** A lock for {@code spec} with the given resolution. */
    static Lock of(String stageforge, StageSpec spec, long sourceDateEpoch, String repo, List<Index> binhosts,
                   List<Pkg> packages, List<Repo> overlays) {
        Map<String, String> sections = sectionDigests(spec);
        return new Lock(FORMAT, stageforge, spec.file().getFileName().toString(), digest(sections), sections,
                sourceDateEpoch, repo, binhosts, packages, overlays);
    }

    private static Map<String, String> sectionDigests(StageSpec spec) {
        Map<String, String> m = new TreeMap<>();
        for (String k : PINNED_KEYS) {
            String v = spec.sections().get(k);
            if (v != null) m.put(k, Build.sha256(v));
        }
        return m;
    }

    private static String digest(Map<String, String> sections) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(sections).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return Build.sha256(sb.toString());
    }

    /**
     * Refuses (exit 3) when {@code spec} no longer says what this lock was made from, naming each changed, added or
     * removed key: a replay would build something the spec does not describe.
     */
    public void requireMatches(StageSpec spec) {
        Map<String, String> now = sectionDigests(spec);
        if (digest(now).equals(specSha256)) return;
        List<String> diffs = new ArrayList<>();
        for (String k : new TreeSet<>(PINNED_KEYS)) {
            String was = sections.get(k);
            String is = now.get(k);
            if (was == null && is != null) diffs.add("'" + k + "' added");
            else if (was != null && is == null) diffs.add("'" + k + "' removed");
            else if (was != null && !was.equals(is)) diffs.add("'" + k + "' changed");
        }
        if (diffs.isEmpty()) diffs.add("the spec digest differs");
        throw new StageforgeException(spec.file().getFileName() + " no longer matches its lock: " + String.join(", ", diffs)
                + "; run 'stageforge lock' again", ExitCodes.BAD_INPUT, null);
    }

    /** Reads and checks a lock; a malformed one, or one of another format, is bad input (exit 3). */
    public static Lock read(Path file) {
        Lock l;
        try {
            l = JSON.readValue(Files.readAllBytes(file), Lock.class);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StageforgeException("lock " + file + " does not exist", ExitCodes.NOT_FOUND, e);
        } catch (IOException e) {
            throw new StageforgeException(file + ": not a stageforge lock: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
                    ExitCodes.BAD_INPUT, e);
        }
        int format = l.format() == null ? 1 : l.format();
        if (format != FORMAT) {
            throw new StageforgeException(file + ": lock format " + format + " is not supported (this stageforge reads format "
                    + FORMAT + "); run 'stageforge lock' again", ExitCodes.BAD_INPUT, null);
        }
        String bad = l.problem();
        if (bad != null) throw new StageforgeException(file + ": not a stageforge lock: " + bad, ExitCodes.BAD_INPUT, null);
        return l;
    }

    /** What makes a parsed lock unusable, or null. Paths and digests are checked again where they are used. */
    private String problem() {
        if (spec == null || specSha256 == null || sections == null || repo == null || binhosts == null || packages == null) {
            return "missing spec, specSha256, sections, repo, binhosts or packages";
        }
        for (Pkg p : packages) {
            if (p == null || p.cpv() == null || p.path() == null) return "a package without cpv or path";
            // -1: the build's own binhost (packages built from source, see Parts.LOCAL)
            if (p.binhost() < -1 || p.binhost() >= binhosts.size()) return p.cpv() + ": no binhost " + p.binhost();
            if (p.size() < 0) return p.cpv() + ": negative size";
            if (p.sha512() == null || !p.sha512().matches("[0-9a-f]{128}")) return p.cpv() + ": sha512 is not 128 hex digits";
        }
        for (Repo o : overlays) {
            if (o == null || o.name() == null || o.digest() == null) return "an overlay without name or digest";
        }
        return null;
    }

    public byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void write(Path file) {
        try {
            StateStore.writeAtomically(file, toBytes());
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + file + ": " + org.stageforge.util.IoErrors.reason(file, e), e);
        }
    }
}

package org.stageforge.server.snapshots;

import org.stageforge.snapshot.Snapshots;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A served snapshot file name: {@code REPO-YYYYMMDD.tar.xz} or {@code REPO-latest.tar.xz}, each with or without
 * {@code .gpgsig} / {@code .md5sum}. The suffixes are fixed, so a repository name holding dashes (or digits) still
 * parses one way only.
 *
 * @param repo   repository name ({@code gentoo} or an overlay's)
 * @param date   {@code YYYYMMDD}, or {@code latest}
 * @param suffix {@code ""}, {@code ".gpgsig"} or {@code ".md5sum"}
 */
public record SnapshotName(String repo, String date, String suffix) {
    public static final String LATEST = "latest";
    private static final Pattern FILE = Pattern.compile("(.+)-([0-9]{8}|latest)\\.tar\\.xz(\\.gpgsig|\\.md5sum)?");

    /** The name of {@code file}, or empty when it is not a snapshot file name. */
    public static Optional<SnapshotName> parse(String file) {
        Matcher m = FILE.matcher(file);
        if (!m.matches() || !validRepo(m.group(1))) return Optional.empty();
        return Optional.of(new SnapshotName(m.group(1), m.group(2), m.group(3) == null ? "" : m.group(3)));
    }

    /** Repository names as {@code stageforge snapshot create} accepts them, at most 100 characters. */
    public static boolean validRepo(String repo) {
        return repo.length() <= 100 && Snapshots.NAME.matcher(repo).matches();
    }

    public boolean latest() {
        return date.equals(LATEST);
    }

    /** The tarball's file name, without suffix. */
    public String tarball() {
        return repo + "-" + date + ".tar.xz";
    }

    public String file() {
        return tarball() + suffix;
    }

    /** The view holding the repository's snapshots. */
    public static String view(String repo) {
        return "snapshots/" + repo;
    }
}

package org.stageforge.profile;

import org.stageforge.config.ConfigFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The profile names a repository offers, for "did you mean" when a profile is not found. */
public final class ProfileList {
    private static final int MAX_DEPTH = 10;

    private ProfileList() {}

    /**
     * The profiles of {@code profiles.desc} (what {@code eselect profile list} shows) and every directory under
     * {@code profiles/} that is a profile node (has {@code parent}, {@code make.defaults} or {@code eapi}), sorted.
     */
    public static Set<String> of(Path repoDir) {
        Path profiles = repoDir.resolve("profiles");
        Set<String> names = new TreeSet<>();
        Path desc = profiles.resolve("profiles.desc");
        if (Files.isRegularFile(desc)) {
            for (ConfigFiles.Line l : ConfigFiles.lines(desc, false)) {
                String[] w = l.text().trim().split("\\s+");
                if (w.length >= 2) names.add(w[1]);
            }
        }
        if (Files.isDirectory(profiles)) {
            try (Stream<Path> s = Files.walk(profiles, MAX_DEPTH, new FileVisitOption[0])) {
                s.filter(d -> Files.isDirectory(d) && !d.equals(profiles)
                                && (Files.isRegularFile(d.resolve("parent")) || Files.isRegularFile(d.resolve("make.defaults"))
                                || Files.isRegularFile(d.resolve("eapi"))))
                        .forEach(d -> names.add(profiles.relativize(d).toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }
}

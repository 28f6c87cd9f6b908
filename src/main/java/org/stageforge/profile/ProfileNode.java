package org.stageforge.profile;

import java.nio.file.Path;

/**
 * One directory of a profile stack.
 *
 * @param location         the directory
 * @param name             its path relative to its repository's {@code profiles/} (as Portage
 *                         names profiles), or the absolute path when it is in no known repository
 * @param repo             the repository it belongs to, or null
 * @param eapi             from its {@code eapi} file (default "0")
 * @param allowDirectories whether its files may be directories (portage-1/portage-2 formats)
 * @param deprecated       content of its {@code deprecated} file, or null
 */
public record ProfileNode(Path location, String name, RepoMap.Repo repo, String eapi, boolean allowDirectories,
                          String deprecated) {
    public Path file(String fileName) {
        return location.resolve(fileName);
    }
}

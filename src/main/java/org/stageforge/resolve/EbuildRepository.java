package org.stageforge.resolve;

import org.stageforge.profile.RepoMap;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One ebuild repository as the resolver sees it: its name (profiles/repo_name, or the repos.conf
 * section), its location, whose {@code metadata/md5-cache} gives the ebuilds' metadata, and its
 * repos.conf {@code priority}. As in Portage, of two ebuilds of one version the one from the
 * repository with the higher priority is taken; at equal priority the later one in
 * {@link ResolveRequest#repositories()} wins (the overlay listed after the main repository).
 */
public record EbuildRepository(String name, Path dir, int priority) {
    public EbuildRepository {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dir, "dir");
    }

    /** The repository at {@code dir}, named by its profiles/repo_name (or layout.conf repo-name). */
    public static EbuildRepository at(Path dir, int priority) {
        RepoMap.Repo r = RepoMap.of(dir).all().iterator().next();
        return new EbuildRepository(r.name(), dir, priority);
    }
}

package org.stageforge.profile;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.ExitCodes;
import org.stageforge.config.ConfigFiles;
import org.stageforge.config.ReposConf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The repositories known to a configuration: name → location plus what their layout.conf says. */
public final class RepoMap {
    /** One repository. {@code profileFormats} and {@code masters} come from metadata/layout.conf. */
    public record Repo(String name, Path location, List<String> masters, List<String> profileFormats,
                       String eapi, String profileEapiDefault) {
        public Path profilesDir() {
            return location.resolve("profiles");
        }

        /** profile-formats allowing directories and package.unmask (portage-1 and portage-2). */
        public boolean portage1Profiles() {
            return profileFormats.contains("portage-1") || profileFormats.contains("portage-2")
                    || profileFormats.contains("portage-1-compat");
        }

        /** profile-formats allowing {@code repo:path} in parent files. */
        public boolean allowParentColon() {
            return profileFormats.contains("portage-2");
        }
    }

    private final Map<String, Repo> repos;
    private final String mainRepo;

    private RepoMap(Map<String, Repo> repos, String mainRepo) {
        this.repos = repos;
        this.mainRepo = mainRepo;
    }

    /** A map holding the single repository at {@code location} (its name from repo_name/layout.conf). */
    public static RepoMap of(Path location) {
        Repo r = read(null, location);
        Map<String, Repo> m = new LinkedHashMap<>();
        m.put(r.name(), r);
        return new RepoMap(m, r.name());
    }

    /** Repositories from repos.conf locations (names from the sections, as Portage does). */
    public static RepoMap of(Map<String, Path> locations, String mainRepo) {
        Map<String, Repo> m = new LinkedHashMap<>();
        for (var e : locations.entrySet()) m.put(e.getKey(), read(e.getKey(), e.getValue()));
        String main = mainRepo != null ? mainRepo : (m.containsKey("gentoo") ? "gentoo" : null);
        return new RepoMap(m, main);
    }

    /** From a repos.conf file or directory; relative locations are taken as given. */
    public static RepoMap fromReposConf(Path reposConf) {
        ReposConf rc = ReposConf.load(reposConf);
        return of(rc.locations(), rc.mainRepo());
    }

    private static Repo read(String sectionName, Path location) {
        Path loc = location.toAbsolutePath().normalize();
        try {
            loc = loc.toRealPath();
        } catch (java.io.IOException e) {
            // a missing repository keeps its given path; files under it read as absent
        }
        Map<String, String> layout = new LinkedHashMap<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(loc.resolve("metadata/layout.conf"), false)) {
            int eq = l.text().indexOf('=');
            if (eq < 0) continue;
            layout.put(l.text().substring(0, eq).strip(), l.text().substring(eq + 1).strip());
        }
        if (!java.nio.file.Files.isDirectory(loc)) {
            throw new StageforgeException("repository " + loc + " does not exist", ExitCodes.NOT_FOUND, null);
        }
        String name = sectionName;
        if (name == null) {
            List<ConfigFiles.Line> rn = ConfigFiles.lines(loc.resolve("profiles/repo_name"), false);
            name = !rn.isEmpty() ? rn.get(0).text() : layout.get("repo-name");
        }
        if (name == null || name.isEmpty()) {
            throw new StageforgeException("repository at " + loc + " has no profiles/repo_name", ExitCodes.BAD_INPUT, null);
        }
        List<String> masters = words(layout.get("masters"));
        List<String> formats = layout.containsKey("profile-formats") ? words(layout.get("profile-formats")) : List.of("pms");
        String eapi = "0";
        List<ConfigFiles.Line> e = ConfigFiles.lines(loc.resolve("profiles/eapi"), false);
        if (!e.isEmpty()) eapi = e.get(0).text();
        // layout.conf may give profile directories without an eapi file another EAPI than 0
        String profileEapi = formats.contains("profile-default-eapi")
                ? layout.getOrDefault("profile_eapi_when_unspecified", "0") : "0";
        return new Repo(name, loc, masters, formats, eapi, profileEapi);
    }

    private static List<String> words(String s) {
        if (s == null || s.isBlank()) return List.of();
        return List.copyOf(ConfigFiles.words(s));
    }

    public Repo get(String name) {
        return repos.get(name);
    }

    /** The location of repository {@code name}, or a ParseException naming {@code where}. */
    public Path locationOf(String name, Path where, int line) {
        Repo r = repos.get(name);
        if (r == null) throw new ParseException(where.toString(), line, 0, "unknown repository '" + name + "'");
        return r.location();
    }

    public Collection<Repo> all() {
        return Collections.unmodifiableCollection(repos.values());
    }

    /** Repositories that have a profiles/ directory, in configuration order. */
    public List<Repo> withProfiles() {
        List<Repo> out = new ArrayList<>();
        for (Repo r : repos.values()) if (Files.isDirectory(r.profilesDir())) out.add(r);
        return out;
    }

    public String mainRepo() {
        return mainRepo;
    }

    /** The repository whose location contains {@code path} (the innermost one), or null. */
    public Repo containing(Path path) {
        Path p = path.toAbsolutePath().normalize();
        Repo best = null;
        for (Repo r : repos.values()) {
            if (p.startsWith(r.location()) && (best == null || r.location().getNameCount() > best.location().getNameCount())) {
                best = r;
            }
        }
        return best;
    }

    /** The masters of {@code repo} followed by the repo itself, as Portage stacks repo-level files. */
    public List<Repo> withMasters(Repo repo) {
        List<Repo> out = new ArrayList<>();
        for (String m : repo.masters()) {
            Repo r = repos.get(m);
            if (r != null) out.add(r);
        }
        out.add(repo);
        return out;
    }
}

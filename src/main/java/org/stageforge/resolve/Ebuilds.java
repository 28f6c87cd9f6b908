package org.stageforge.resolve;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Cpv;
import org.stageforge.index.Md5CacheEntry;
import org.stageforge.profile.PortageConfig;
import org.stageforge.util.Dirs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ebuilds of the request's repositories, read from their md5-cache one category listing and
 * one package at a time as the resolution asks for them (a full tree has tens of thousands of
 * entries; a stage needs a few hundred).
 */
final class Ebuilds {
    /** Highest version first; of one version, the repository with the higher priority, then the later one. */
    static final Comparator<Candidate> BEST_FIRST = Comparator
            .comparing((Candidate c) -> c.cpv.version()).reversed()
            .thenComparing(Comparator.comparingInt((Candidate c) -> c.ebuildRepo.priority()).reversed())
            .thenComparing(Comparator.comparingInt((Candidate c) -> c.position).reversed());

    private final List<EbuildRepository> repos;
    private final PortageConfig config;
    private final Set<String> implicitIuse;
    /** Per repository: category → its md5-cache file names, sorted. */
    private final List<Map<String, List<String>>> listings = new ArrayList<>();
    private final Map<String, List<Candidate>> byCp = new HashMap<>();
    private Set<String> allCps;

    Ebuilds(List<EbuildRepository> repos, PortageConfig config, Set<String> implicitIuse) {
        this.repos = repos;
        this.config = config;
        this.implicitIuse = implicitIuse;
        for (int i = 0; i < repos.size(); i++) listings.add(new HashMap<>());
    }

    boolean isEmpty() {
        return repos.isEmpty();
    }

    /** The ebuilds of {@code cp} in every repository, best first. */
    List<Candidate> of(String cp) {
        List<Candidate> l = byCp.get(cp);
        if (l != null) return l;
        l = new ArrayList<>();
        int slash = cp.indexOf('/');
        String cat = cp.substring(0, slash);
        String pn = cp.substring(slash + 1);
        for (int r = 0; r < repos.size(); r++) {
            for (String pf : names(r, cat)) {
                if (!pf.startsWith(pn + "-")) continue;
                Cpv cpv = cpv(cat + "/" + pf);
                if (cpv == null || !cpv.name().equals(pn)) continue;
                Path f = cacheDir(r).resolve(cat).resolve(pf);
                l.add(Candidate.ebuild(read(cpv, f), cpv, repos.get(r), r, config, implicitIuse, f.toString()));
            }
        }
        l.sort(BEST_FIRST);
        l = List.copyOf(l);
        byCp.put(cp, l);
        return l;
    }

    /** Every cp with an md5-cache entry in some repository (for bare names and suggestions). */
    Set<String> cps() {
        if (allCps != null) return allCps;
        Set<String> out = new TreeSet<>();
        for (int r = 0; r < repos.size(); r++) {
            for (Path c : Dirs.sortedChildren(cacheDir(r))) {
                String cat = c.getFileName().toString();
                for (String pf : names(r, cat)) {
                    Cpv cpv = cpv(cat + "/" + pf);
                    if (cpv != null) out.add(cpv.cp());
                }
            }
        }
        allCps = out;
        return out;
    }

    private Path cacheDir(int r) {
        return repos.get(r).dir().resolve("metadata").resolve("md5-cache");
    }

    private List<String> names(int r, String cat) {
        return listings.get(r).computeIfAbsent(cat, c -> {
            List<String> out = new ArrayList<>();
            Path dir = cacheDir(r).resolve(c);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return out;
            for (Path f : Dirs.sortedChildren(dir)) {
                String name = f.getFileName().toString();
                // Portage writes caches through temporary dot files; those are not entries
                if (!name.startsWith(".") && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) out.add(name);
            }
            return out;
        });
    }

    /** The cpv of an md5-cache file name, or null when the name is not one (such files are not ebuilds). */
    private static Cpv cpv(String s) {
        try {
            return Cpv.parse(s);
        } catch (ParseException | IllegalArgumentException e) {
            return null;
        }
    }

    private static Md5CacheEntry read(Cpv cpv, Path f) {
        try {
            return Md5CacheEntry.parse(f.toString(), cpv.toString(), new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}

package org.stageforge.profile;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Atom;
import org.stageforge.config.ConfigFiles;
import org.stageforge.config.ShellConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Walks a profile directory the way Portage's LocationsManager does ({@code parent} files depth
 * first, relative or {@code repo:path} entries, {@code eapi} files) and reads each node's files.
 */
public final class ProfileLoader {
    private static final int MAX_DEPTH = 64;
    private static final Pattern USE_FLAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9+_@-]*");
    private static final Set<String> SUPPORTED_EAPIS = Set.of("0", "1", "2", "3", "4", "5", "6", "7", "8");
    private static final String GLOBALS_RESOURCE = "make.globals";

    private final RepoMap repos;
    private final List<ProfileNode> nodes = new ArrayList<>();
    // per-package files are read lazily, possibly from several threads
    private final List<String> warnings = java.util.Collections.synchronizedList(new ArrayList<>());

    private ProfileLoader(RepoMap repos) {
        this.repos = repos;
    }

    /** Loads the stack ending at {@code profileDir}, with make.globals and an empty configuration root. */
    public static Profile load(Path profileDir, RepoMap repos) {
        return load(profileDir, repos, Map.of());
    }

    /**
     * Loads the stack ending at {@code profileDir}. {@code expandSeed} holds variables visible to
     * make.globals/make.defaults expansion before anything is read (ROOT, EPREFIX...).
     */
    public static Profile load(Path profileDir, RepoMap repos, Map<String, String> expandSeed) {
        return load(profileDir, repos, expandSeed, null);
    }

    /**
     * As {@link #load(Path, RepoMap, Map)}, with the user's profile directory (etc/portage/profile)
     * stacked last when it exists, as Portage does.
     */
    public static Profile load(Path profileDir, RepoMap repos, Map<String, String> expandSeed, Path userProfileDir) {
        if (!Files.isDirectory(profileDir)) {
            throw new StageforgeException("profile not found: " + profileDir, ExitCodes.NOT_FOUND, null);
        }
        ProfileLoader l = new ProfileLoader(repos);
        Path top;
        try {
            top = profileDir.toRealPath();
        } catch (IOException e) {
            throw new StageforgeException("cannot resolve profile " + profileDir + ": " + e.getMessage(), e);
        }
        l.add(top, null, 0);
        String name = l.nodes.get(l.nodes.size() - 1).name();
        if (userProfileDir != null && Files.isDirectory(userProfileDir)) {
            Path u = userProfileDir.toAbsolutePath().normalize();
            l.nodes.add(new ProfileNode(u, u.toString(), null, l.eapiOf(u, "0"), true, null));
        }

        Map<String, String> expand = new HashMap<>();
        expand.put("EPREFIX", "");
        expand.put("ROOT", "/");
        expand.put("EROOT", "/");
        expand.put("SYSROOT", "/");
        expand.put("ESYSROOT", "/");
        expand.put("BROOT", "");
        expand.put("PORTAGE_CONFIGROOT", "/");
        expand.putAll(expandSeed);
        Map<String, String> globals = ShellConfig.parse(globalsText(), "make.globals", null, expand, false);

        List<Profile.NodeData> data = new ArrayList<>();
        for (ProfileNode n : l.nodes) {
            // Portage hides USE from expansion so "USE=${USE} x" cannot pull in parent USE
            expand.remove("USE");
            Map<String, String> md = ShellConfig.parse(n.file("make.defaults"), expand, false, n.allowDirectories());
            data.add(l.readNode(n, md == null ? Map.of() : md));
        }
        return new Profile(name, data, repos, globals, expand, l.warnings);
    }

    private static String globalsText() {
        try (InputStream in = ProfileLoader.class.getResourceAsStream(GLOBALS_RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + GLOBALS_RESOURCE);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StageforgeException("cannot read built-in make.globals", e);
        }
    }

    private void add(Path dir, Path parentFile, int depth) {
        if (depth > MAX_DEPTH) {
            throw new ParseException(String.valueOf(parentFile), 0, 0, "profile parents nested too deeply (a cycle?)");
        }
        RepoMap.Repo repo = repos.containing(dir);
        String eapi = eapiOf(dir, repo == null ? "0" : repo.profileEapiDefault());
        boolean allowDirs = repo == null || repo.portage1Profiles() || eapiAllowsDirectories(eapi);
        boolean parentColon = repo != null && repo.allowParentColon();

        Path parents = dir.resolve("parent");
        if (Files.exists(parents)) {
            List<ConfigFiles.Line> lines = ConfigFiles.lines(parents, false);
            if (lines.isEmpty()) throw new ParseException(parents.toString(), 0, 0, "empty parent file");
            for (ConfigFiles.Line line : lines) {
                String p = line.text();
                boolean abs = p.startsWith("/");
                if (!abs && parentColon) p = expandColon(p, repo, parents, line.number());
                Path pp = dir.resolve(p).normalize();
                if (abs || repo == null || !pp.startsWith(repo.location())) {
                    try {
                        pp = pp.toRealPath();
                    } catch (IOException e) {
                        throw new ParseException(parents.toString(), line.number(), 0, "parent '" + line.text() + "' not found");
                    }
                }
                if (!Files.isDirectory(pp)) {
                    throw new ParseException(parents.toString(), line.number(), 0, "parent '" + line.text() + "' not found");
                }
                add(pp, parents, depth + 1);
            }
        }
        String name = repo != null && dir.startsWith(repo.profilesDir())
                ? repo.profilesDir().relativize(dir).toString().replace('\\', '/')
                : dir.toString();
        Path dep = dir.resolve("deprecated");
        String deprecated = Files.isRegularFile(dep) ? ConfigFiles.read(dep) : null;
        if (deprecated != null) {
            // as Portage: the first line names the profile to upgrade to
            String next = deprecated.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(null);
            warnings.add("profile " + name + " is deprecated and not supported anymore"
                    + (next == null ? "" : "; upgrade to " + next));
        }
        nodes.add(new ProfileNode(dir, name, repo, eapi, allowDirs, deprecated));
    }

    private String eapiOf(Path dir, String dflt) {
        Path eapiFile = dir.resolve("eapi");
        if (!Files.isRegularFile(eapiFile)) return dflt;
        List<String> raw = ConfigFiles.rawLines(eapiFile);
        String eapi = raw.isEmpty() ? "" : raw.get(0).strip();
        if (!SUPPORTED_EAPIS.contains(eapi)) {
            throw new ParseException(eapiFile.toString(), 1, 0, "unsupported EAPI '" + eapi + "'");
        }
        return eapi;
    }

    /** Atom features the node's EAPI does not have (Portage skips such atoms), or null. */
    private static String eapiProblem(Atom a, String eapi) {
        int e = eapi.matches("[0-9]+") ? Integer.parseInt(eapi) : Integer.MAX_VALUE;
        if (a.slot() != null && e < 1) return "slot dependency";
        if (!a.use().isEmpty() && e < 2) return "USE dependency";
        if ((a.subslot() != null || a.slotOperator() != null) && e < 5) return "sub-slot or slot operator";
        if (e < 4) {
            for (org.stageforge.atom.UseDep d : a.use()) {
                if (d.missing() != org.stageforge.atom.UseDep.Missing.NONE) return "USE dependency default";
            }
        }
        return null;
    }

    private static boolean eapiAllowsDirectories(String eapi) {
        return !Set.of("0", "1", "2", "3", "4", "5", "6").contains(eapi);
    }

    private String expandColon(String p, RepoMap.Repo repo, Path parents, int line) {
        int colon = p.indexOf(':');
        if (colon < 0) return p;
        Path base;
        if (colon == 0) {
            base = repo.location();
        } else {
            base = repos.locationOf(p.substring(0, colon), parents, line);
        }
        return base.resolve("profiles").resolve(p.substring(colon + 1)).normalize().toString();
    }

    private Profile.NodeData readNode(ProfileNode n, Map<String, String> makeDefaults) {
        boolean r = n.allowDirectories();
        boolean stable = stableAllowed(n);
        return new Profile.NodeData(n, makeDefaults,
                atoms(n, n.file("packages"), r),
                atoms(n, n.file("package.mask"), r),
                r ? atoms(n, n.file("package.unmask"), r) : List.of(),
                flags(n.file("use.mask"), r),
                flags(n.file("use.force"), r),
                stable ? flags(n.file("use.stable.mask"), r) : List.of(),
                stable ? flags(n.file("use.stable.force"), r) : List.of(),
                provided(n, r),
                file -> file.contains(".stable.") && !stable ? List.of()
                        : atomDict(n, n.file(file), r, file.startsWith("package.use")));
    }

    /** use.stable.* and package.use.stable.* exist from EAPI 5 (and in any repo using portage-2). */
    private boolean stableAllowed(ProfileNode n) {
        boolean ok = !Set.of("0", "1", "2", "3", "4").contains(n.eapi());
        if (!ok) {
            for (String f : List.of("use.stable.mask", "use.stable.force", "package.use.stable.mask", "package.use.stable.force")) {
                if (Files.exists(n.file(f))) warnings.add("EAPI '" + n.eapi() + "' does not support '" + f + "': " + n.file(f));
            }
        }
        return ok;
    }

    /**
     * Lines of a package list file (packages, package.mask...): each line one atom with its
     * {@code -} (removal) or, in packages, {@code *} (system) prefix. Invalid atoms are skipped
     * with a warning, as Portage does.
     */
    private List<Entry> atoms(ProfileNode n, Path file, boolean recursive) {
        boolean packagesFile = file.getFileName().toString().equals("packages");
        List<Entry> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(file, recursive)) {
            String t = l.text();
            String a = t;
            if (packagesFile && t.equals("-*")) {
                out.add(new Entry(t, List.of(), l.file(), l.number()));
                continue;
            }
            if (a.startsWith("-")) a = a.substring(1);
            if (packagesFile && a.startsWith("*")) a = a.substring(1);
            if (validAtom(n, a, l, true)) out.add(new Entry(t, List.of(), l.file(), l.number()));
        }
        return out;
    }

    /**
     * package.provided: cat/pkg-version lines (a {@code -} prefix removes an earlier one), kept as
     * written. PMS bans the file from EAPI 7 profiles; Portage then ignores it with a warning.
     */
    private List<Entry> provided(ProfileNode n, boolean recursive) {
        Path file = n.file("package.provided");
        List<Entry> out = new ArrayList<>();
        if (!Set.of("0", "1", "2", "3", "4", "5", "6").contains(n.eapi())) {
            if (Files.exists(file)) warnings.add("package.provided is not allowed in EAPI '" + n.eapi() + "' profiles, ignored: " + file);
            return out;
        }
        for (ConfigFiles.Line l : ConfigFiles.lines(file, recursive)) {
            try {
                org.stageforge.atom.Cpv.parse(l.text().startsWith("-") ? l.text().substring(1) : l.text());
                out.add(new Entry(l.text(), List.of(), l.file(), l.number()));
            } catch (ParseException e) {
                warnings.add("invalid package name in " + l.origin() + ": " + l.text());
            }
        }
        return out;
    }

    private boolean validAtom(ProfileNode n, String atom, ConfigFiles.Line l, boolean allowUse) {
        boolean allowRepo = n.repo() == null || n.repo().profileFormats().contains("profile-repo-deps");
        try {
            Atom a = Atom.parse(atom, allowRepo);
            if (a.isBlocker()) throw new ParseException(atom, 0, 0, "blocker not allowed here");
            if (!allowUse && !a.use().isEmpty()) throw new ParseException(atom, 0, 0, "USE dependencies not allowed here");
            String eapiProblem = eapiProblem(a, n.eapi());
            if (eapiProblem != null) throw new ParseException(atom, 0, 0, eapiProblem + " not allowed in EAPI " + n.eapi());
            return true;
        } catch (ParseException e) {
            warnings.add("invalid atom in " + l.origin() + ": " + e.getMessage());
            return false;
        }
    }

    /** A flag list file (use.mask...): invalid flags are skipped with a warning, as Portage does. */
    private List<Entry> flags(Path file, boolean recursive) {
        List<Entry> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(file, recursive)) {
            String t = l.text();
            String flag = t.startsWith("-") ? t.substring(1) : t;
            if (!USE_FLAG.matcher(flag).matches()) {
                warnings.add("invalid USE flag in " + l.origin() + ": " + t);
                continue;
            }
            out.add(new Entry(t, List.of(), l.file(), l.number()));
        }
        return out;
    }

    /**
     * An atom-keyed file (package.use...): the first word is the atom, the rest its values. Lines
     * for the same atom are joined, as Portage's grabdict does.
     */
    private List<Entry> atomDict(ProfileNode n, Path file, boolean recursive, boolean useFlags) {
        Map<String, Entry> byAtom = new LinkedHashMap<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(file, recursive)) {
            String[] w = l.text().split(" ");
            // package.use* keys may not carry USE dependencies; package.accept_keywords ones may
            if (!validAtom(n, w[0], l, !useFlags)) continue;
            List<String> vals = new ArrayList<>();
            for (int i = 1; i < w.length; i++) {
                String f = w[i].startsWith("-") ? w[i].substring(1) : w[i];
                if (useFlags && !USE_FLAG.matcher(f).matches()) {
                    warnings.add("invalid USE flag for '" + w[0] + "' in " + l.origin() + ": " + w[i]);
                    continue;
                }
                vals.add(w[i]);
            }
            Entry prev = byAtom.get(w[0]);
            if (prev != null) {
                List<String> all = new ArrayList<>(prev.values());
                all.addAll(vals);
                byAtom.put(w[0], new Entry(w[0], all, prev.file(), prev.line()));
            } else {
                byAtom.put(w[0], new Entry(w[0], vals, l.file(), l.number()));
            }
        }
        return new ArrayList<>(byAtom.values());
    }
}

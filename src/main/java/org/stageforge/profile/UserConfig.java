package org.stageforge.profile;

import org.stageforge.config.ConfigFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The user layer under {@code etc/portage}: make.conf variables and the package.* files (each a
 * file or a directory of files), plus named sets from {@code sets/}.
 */
public final class UserConfig {
    private static final String ALL = "*/*";

    private final Map<String, String> makeConf;
    private final List<Entry> packageMask;
    private final List<Entry> packageUnmask;
    private final List<Entry> packageUse;
    private final List<Entry> packageAcceptKeywords;
    private final List<Entry> packageLicense;
    private final Map<String, List<Entry>> sets;
    private final Path licenseGroups;

    private UserConfig(Map<String, String> makeConf, List<Entry> packageMask, List<Entry> packageUnmask,
                       List<Entry> packageUse, List<Entry> packageAcceptKeywords, List<Entry> packageLicense,
                       Map<String, List<Entry>> sets, Path licenseGroups) {
        this.licenseGroups = licenseGroups;
        this.makeConf = Collections.unmodifiableMap(makeConf);
        this.packageMask = List.copyOf(packageMask);
        this.packageUnmask = List.copyOf(packageUnmask);
        this.packageUse = List.copyOf(packageUse);
        this.packageAcceptKeywords = List.copyOf(packageAcceptKeywords);
        this.packageLicense = List.copyOf(packageLicense);
        this.sets = Collections.unmodifiableMap(sets);
    }

    /** No user configuration at all. */
    public static UserConfig empty() {
        return new UserConfig(Map.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Map.of(), null);
    }

    /** Reads {@code etc} (the etc/portage directory); {@code makeConf} was parsed by the caller. */
    public static UserConfig read(Path etc, Map<String, String> makeConf) {
        // package.keywords (legacy) and package.accept_keywords: values for the same atom are joined
        List<Entry> both = new ArrayList<>(dict(etc.resolve("package.keywords"), false));
        both.addAll(dict(etc.resolve("package.accept_keywords"), false));
        List<Entry> keywords = mergeSameAtom(both);
        Map<String, List<Entry>> sets = new LinkedHashMap<>();
        Path setsDir = etc.resolve("sets");
        if (Files.isDirectory(setsDir)) {
            for (Path f : ConfigFiles.fileList(setsDir)) {
                sets.put(setsDir.relativize(f).toString().replace('\\', '/'), list(f));
            }
        }
        Path groups = Files.isRegularFile(etc.resolve("license_groups")) ? etc.resolve("license_groups") : null;
        return new UserConfig(makeConf, list(etc.resolve("package.mask")), list(etc.resolve("package.unmask")),
                dict(etc.resolve("package.use"), true), keywords, dict(etc.resolve("package.license"), false), sets,
                groups);
    }

    private static List<Entry> list(Path p) {
        List<Entry> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(p, true)) {
            String[] w = l.text().split(" ");
            out.add(new Entry(w[0], List.of(), l.file(), l.number()));
        }
        return out;
    }

    /**
     * Joins the values of entries for the same atom (in order, at the first one's position), as
     * Portage's grabdict does, so that a later line for an atom adds to (and overrides) an earlier one.
     */
    private static List<Entry> mergeSameAtom(List<Entry> entries) {
        Map<String, Entry> byAtom = new LinkedHashMap<>();
        for (Entry e : entries) {
            Entry prev = byAtom.get(e.value());
            if (prev == null) {
                byAtom.put(e.value(), e);
            } else {
                List<String> vals = new ArrayList<>(prev.values());
                vals.addAll(e.values());
                byAtom.put(e.value(), new Entry(e.value(), vals, prev.file(), prev.line()));
            }
        }
        return new ArrayList<>(byAtom.values());
    }

    /**
     * Atom-keyed lines (same-atom lines joined). With {@code useExpandSyntax}, {@code VAR: a b} within a line turns the
     * following words into {@code var_a var_b} (until the end of the line), as Portage's
     * package.use allows.
     */
    private static List<Entry> dict(Path p, boolean useExpandSyntax) {
        List<Entry> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(p, true)) {
            String[] w = l.text().split(" ");
            List<String> vals = new ArrayList<>();
            String prefix = "";
            for (int i = 1; i < w.length; i++) {
                String f = w[i];
                if (useExpandSyntax && f.endsWith(":")) {
                    prefix = f.substring(0, f.length() - 1).toLowerCase(Locale.ROOT) + "_";
                    continue;
                }
                vals.add(f.startsWith("-") ? "-" + prefix + f.substring(1) : prefix + f);
            }
            out.add(new Entry(w[0], vals, l.file(), l.number()));
        }
        return mergeSameAtom(out);
    }

    public Map<String, String> makeConf() {
        return makeConf;
    }

    public List<Entry> packageMask() {
        return packageMask;
    }

    public List<Entry> packageUnmask() {
        return packageUnmask;
    }

    /** package.use entries except {@code * / *} ones, which act as global USE (see {@link #globalPackageUse}). */
    public List<Entry> packageUse() {
        return packageUse.stream().filter(e -> !e.value().equals(ALL)).toList();
    }

    public List<Entry> packageAcceptKeywords() {
        return packageAcceptKeywords;
    }

    public List<Entry> packageLicense() {
        return packageLicense.stream().filter(e -> !e.value().equals(ALL)).toList();
    }

    /** Flags of {@code * / *} lines in package.use, which Portage appends to make.conf's USE; or null. */
    public String globalPackageUse() {
        return joined(packageUse);
    }

    /** Licenses of {@code * / *} lines in package.license, appended to ACCEPT_LICENSE; or null. */
    public String globalPackageLicense() {
        return joined(packageLicense);
    }

    private static String joined(List<Entry> entries) {
        List<String> out = new ArrayList<>();
        boolean any = false;
        for (Entry e : entries) {
            if (!e.value().equals(ALL)) continue;
            any = true;
            out.addAll(e.values());
        }
        return any ? String.join(" ", out) : null;
    }

    /** etc/portage/license_groups when present, else null. */
    public Path licenseGroups() {
        return licenseGroups;
    }

    /** User sets from etc/portage/sets: name → atoms. */
    public Map<String, List<Entry>> sets() {
        return sets;
    }
}

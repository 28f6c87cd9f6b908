package org.stageforge.atom;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * License groups ({@code profiles/license_groups}: {@code NAME member @OTHER-GROUP ...}) and the
 * expansion of ACCEPT_LICENSE / package.license tokens the way Portage's LicenseManager does it.
 */
public final class LicenseGroups {
    private static final LicenseGroups EMPTY = new LicenseGroups(Map.of());

    private final Map<String, Set<String>> groups;

    private LicenseGroups(Map<String, Set<String>> groups) {
        this.groups = groups;
    }

    public static LicenseGroups empty() {
        return EMPTY;
    }

    /**
     * Parses the file text as Portage's {@code grabdict}: first word is the group, the rest its
     * members; a word starting with '#' ends the line; lines with fewer than two words are ignored;
     * a group named twice collects both lists.
     */
    public static LicenseGroups parse(String text) {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        for (String line : text.split("\n", -1)) {
            List<String> words = new ArrayList<>();
            int i = 0, n = line.length();
            while (true) {
                while (i < n && DepString.isSpace(line.charAt(i))) i++;
                if (i >= n || line.charAt(i) == '#') break;
                int st = i;
                while (i < n && !DepString.isSpace(line.charAt(i))) i++;
                words.add(line.substring(st, i));
            }
            if (words.size() < 2) continue;
            m.computeIfAbsent(words.get(0), k -> new LinkedHashSet<>()).addAll(words.subList(1, words.size()));
        }
        return new LicenseGroups(freeze(m));
    }

    /** Reads a license_groups file; a missing file gives no groups. */
    public static LicenseGroups read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return EMPTY;
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** This file stacked with a later one (profile order): groups named in both get both lists. */
    public LicenseGroups stack(LicenseGroups later) {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        for (var e : groups.entrySet()) m.put(e.getKey(), new LinkedHashSet<>(e.getValue()));
        for (var e : later.groups.entrySet()) m.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>()).addAll(e.getValue());
        return new LicenseGroups(freeze(m));
    }

    private static Map<String, Set<String>> freeze(Map<String, Set<String>> m) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) out.put(e.getKey(), Collections.unmodifiableSet(new LinkedHashSet<>(e.getValue())));
        return Collections.unmodifiableMap(out);
    }

    public Set<String> groupNames() {
        return groups.keySet();
    }

    /** The direct members of a group as written (may include {@code @group} references), or null. */
    public Set<String> members(String group) {
        return groups.get(group);
    }

    /**
     * Every license a group stands for, following {@code @group} references (each group once, so
     * cycles end); members written with a leading '-' are skipped as Portage does. An unknown
     * group gives an empty set.
     */
    public Set<String> licenses(String group) {
        Set<String> out = new LinkedHashSet<>();
        collect(group, new HashSet<>(), out);
        return out;
    }

    private void collect(String group, Set<String> seen, Set<String> out) {
        Set<String> members = groups.get(group);
        if (members == null || !seen.add(group)) return;
        for (String m : members) {
            if (m.startsWith("-")) continue;
            if (m.startsWith("@")) collect(m.substring(1), seen, out);
            else out.add(m);
        }
    }

    /**
     * Expands ACCEPT_LICENSE / package.license tokens: {@code @G} becomes G's licenses and
     * {@code -@G} their negations; other tokens ({@code *}, {@code -*}, names) are kept. An
     * undefined group stays as the literal token, matching no license (Portage warns about it).
     */
    public List<String> expand(Collection<String> tokens) {
        List<String> out = new ArrayList<>();
        for (String t : tokens) {
            boolean neg = t.startsWith("-");
            String name = neg ? t.substring(1) : t;
            if (!name.startsWith("@") || !groups.containsKey(name.substring(1))) {
                out.add(t);
                continue;
            }
            for (String l : licenses(name.substring(1))) out.add(neg ? "-" + l : l);
        }
        return out;
    }

    /** ACCEPT_LICENSE after expansion: decides single licenses and whole LICENSE strings. */
    public AcceptLicense acceptLicense(Collection<String> tokens) {
        return new AcceptLicense(expand(tokens));
    }

    /**
     * Expanded ACCEPT_LICENSE tokens (later tokens win: {@code *}, {@code -*}, {@code name},
     * {@code -name}).
     */
    public record AcceptLicense(List<String> tokens) {
        public AcceptLicense {
            tokens = List.copyOf(tokens);
        }

        /** The same with more (already expanded) tokens appended, e.g. from package.license. */
        public AcceptLicense plus(Collection<String> more) {
            List<String> all = new ArrayList<>(tokens);
            all.addAll(more);
            return new AcceptLicense(all);
        }

        /** Is this one license accepted? */
        public boolean accepts(String license) {
            boolean ok = false;
            for (String t : tokens) {
                if (t.equals("*")) ok = true;
                else if (t.equals("-*")) ok = false;
                else if (t.startsWith("-")) {
                    if (t.length() == license.length() + 1 && t.endsWith(license)) ok = false;
                } else if (t.equals(license)) ok = true;
            }
            return ok;
        }

        /**
         * The licenses still to accept for a LICENSE string under the package's USE, as
         * Portage's {@code getMissingLicenses}: empty means accepted. In {@code || ( )} one accepted
         * member suffices; otherwise every member's missing licenses are listed.
         */
        public List<String> missing(DepNode.AllOf license, Set<String> use) {
            List<String> out = new ArrayList<>();
            missing(DepString.reduce(license, use).children(), false, out);
            return out;
        }

        /** Parses a LICENSE string and tells whether it is accepted under {@code use}. */
        public boolean accepts(String licenseString, Set<String> use) {
            return missing(DepString.parse(licenseString, DepString.Kind.LICENSE), use).isEmpty();
        }

        /** Returns true when the node list is satisfied (any-of) / adds what is missing. */
        private boolean missing(List<DepNode> nodes, boolean anyOf, List<String> out) {
            List<String> mine = new ArrayList<>();
            for (DepNode d : nodes) {
                if (d instanceof DepNode.TextLeaf t) {
                    if (accepts(t.text())) {
                        if (anyOf) return true;
                    } else {
                        mine.add(t.text());
                    }
                } else if (d instanceof DepNode.AnyOf g) {
                    List<String> sub = new ArrayList<>();
                    boolean ok = missing(g.children(), true, sub);
                    if (ok && anyOf) return true;
                    mine.addAll(sub);
                } else if (d instanceof DepNode.AllOf g) {
                    List<String> sub = new ArrayList<>();
                    missing(g.children(), false, sub);
                    if (sub.isEmpty() && anyOf) return true;
                    mine.addAll(sub);
                } else {
                    throw new IllegalArgumentException("not a LICENSE node: " + d);
                }
            }
            out.addAll(mine);
            return mine.isEmpty() && !anyOf;
        }
    }
}

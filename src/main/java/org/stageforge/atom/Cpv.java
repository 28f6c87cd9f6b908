package org.stageforge.atom;


import java.util.Objects;

/**
 * A category/package-version such as {@code sys-apps/portage-3.0.49-r1}. As in Portage, where a
 * cpv is a string, equality is textual ({@code a/b-1.0} and {@code a/b-1.00} are two packages),
 * while {@link #compareTo} orders by {@code vercmp} and so returns 0 for such a pair.
 */
public record Cpv(String category, String name, Version version) implements Comparable<Cpv> {

    public Cpv {
        Objects.requireNonNull(version, "version");
        if (!Names.isValidCategory(category)) throw new IllegalArgumentException("invalid category: " + category);
        if (!Names.isValidPackageName(name)) throw new IllegalArgumentException("invalid package name: " + name);
    }

    /** Parses {@code cat/pkg-ver[-rN]}. */
    public static Cpv parse(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) throw Errors.at("package", s, 0, "expected category/name-version");
        if (!Names.isCategory(s, 0, slash)) throw Errors.at("package", s, 0, "invalid category name");
        int h = splitVersion(s, slash + 1, s.length());
        if (h == NO_VERSION) throw Errors.at("package", s, slash + 1, "expected name-version (no valid version found)");
        if (h == NAME_LOOKS_VERSIONED) throw Errors.at("package", s, slash + 1, "package name must not end in '-' and a version");
        return new Cpv(s.substring(0, slash), s.substring(slash + 1, h), Version.parse(s.substring(h + 1)));
    }

    /** Result of {@link #splitVersion} when no split works. */
    static final int NO_VERSION = -1;
    /** Result of {@link #splitVersion} when the name part itself ends in a version. */
    static final int NAME_LOOKS_VERSIONED = -2;

    /**
     * Splits {@code name-version} in {@code s[from, to)} the way Portage's regex does (shortest
     * name first): returns the offset of the separating hyphen, or a negative code.
     */
    static int splitVersion(String s, int from, int to) {
        // a version (with revision) holds at most one hyphen, so only the last four hyphens can
        // start "version" or "version-version"; this keeps hostile long names linear
        int[] hy = new int[4];
        int count = 0;
        for (int i = to - 1; i > from && count < 4; i--) if (s.charAt(i) == '-') hy[count++] = i;
        for (int c = count - 1; c >= 0; c--) {
            int h = hy[c];
            if (!Names.isPackageChars(s, from, h)) return NO_VERSION;
            if (Version.validLength(s, h + 1, to) > 0) return h;
            for (int d = c - 1; d >= 0; d--) {
                int k = hy[d];
                if (Version.validLength(s, h + 1, k) > 0 && Version.validLength(s, k + 1, to) > 0) return NAME_LOOKS_VERSIONED;
            }
        }
        return NO_VERSION;
    }

    /** {@code category/name}. */
    public String cp() {
        return category + "/" + name;
    }

    /** {@code name-version} including any revision (PF). */
    public String pf() {
        return name + "-" + version;
    }

    /** {@code name-version} without the revision (P). */
    public String pv() {
        return name + "-" + version.withoutRevision();
    }

    /** Orders by category, then name, then version ({@code vercmp}). */
    @Override
    public int compareTo(Cpv o) {
        int c = category.compareTo(o.category);
        if (c == 0) c = name.compareTo(o.name);
        return c != 0 ? c : version.compareTo(o.version);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cpv c && category.equals(c.category) && name.equals(c.name)
                && version.toString().equals(c.version.toString());
    }

    @Override
    public int hashCode() {
        return (category.hashCode() * 31 + name.hashCode()) * 31 + version.toString().hashCode();
    }

    @Override
    public String toString() {
        return category + "/" + name + "-" + version;
    }
}

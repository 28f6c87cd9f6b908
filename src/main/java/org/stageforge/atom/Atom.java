package org.stageforge.atom;

import org.stageforge.ParseException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A package dependency atom as EAPI 8 defines it, plus {@code ::repo} (as Portage allows in
 * configuration files): {@code !!>=cat/pkg-1.2-r1:0/1=::repo[a,-b,c?]}. Parsing is strict and
 * {@link #toString()} gives back exactly the text that was parsed.
 *
 * @param blocker      blocker prefix
 * @param operator     version operator, null when there is no version
 * @param category     category name
 * @param name         package name
 * @param version      version for operator atoms, else null
 * @param slot         slot name or null
 * @param subslot      sub-slot name or null
 * @param slotOperator {@code "="}, {@code "*"} or null
 * @param repo         repository name or null
 * @param use          USE dependencies in written order; empty when there are none
 */
public record Atom(Blocker blocker, Operator operator, String category, String name, Version version,
                   String slot, String subslot, String slotOperator, String repo, List<UseDep> use) {

    /** Blocker prefixes. */
    public enum Blocker {
        NONE(""), WEAK("!"), STRONG("!!");

        final String text;

        Blocker(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** Version operators; {@link #GLOB} is {@code =ver*}. */
    public enum Operator {
        LESS("<"), LESS_EQUAL("<="), EQUAL("="), GLOB("=*"), TILDE("~"), GREATER_EQUAL(">="), GREATER(">");

        final String text;

        Operator(String text) {
            this.text = text;
        }

        /** The operator as Portage names it ({@code "=*"} for globs). */
        public String text() {
            return text;
        }
    }

    public Atom {
        Objects.requireNonNull(blocker, "blocker");
        use = List.copyOf(use);
        if ((operator == null) != (version == null)) throw new IllegalArgumentException("operator and version go together");
        if (!Names.isValidCategory(category)) throw new IllegalArgumentException("invalid category: " + category);
        if (!Names.isValidPackageName(name)) throw new IllegalArgumentException("invalid package name: " + name);
        if (subslot != null && slot == null) throw new IllegalArgumentException("sub-slot without slot");
        if ("*".equals(slotOperator) && slot != null) throw new IllegalArgumentException("':*' takes no slot name");
        if (slotOperator != null && !slotOperator.equals("=") && !slotOperator.equals("*")) throw new IllegalArgumentException("slot operator: " + slotOperator);
        if (repo != null && !Names.isValidRepoName(repo)) throw new IllegalArgumentException("invalid repository name: " + repo);
    }

    /** Parses an atom (EAPI 8 syntax, {@code ::repo} allowed); throws {@link ParseException}. */
    public static Atom parse(String s) {
        return parse(s, true);
    }

    /** Parses an atom; {@code allowRepo=false} is EAPI 8 dependency-string syntax (no {@code ::repo}). */
    public static Atom parse(String s, boolean allowRepo) {
        int n = s.length();
        int i = 0;
        Blocker blocker = Blocker.NONE;
        if (s.startsWith("!!")) {
            blocker = Blocker.STRONG;
            i = 2;
        } else if (s.startsWith("!")) {
            blocker = Blocker.WEAK;
            i = 1;
        }
        Operator op = null;
        if (s.startsWith(">=", i)) op = Operator.GREATER_EQUAL;
        else if (s.startsWith("<=", i)) op = Operator.LESS_EQUAL;
        else if (s.startsWith(">", i)) op = Operator.GREATER;
        else if (s.startsWith("<", i)) op = Operator.LESS;
        else if (s.startsWith("=", i)) op = Operator.EQUAL;
        else if (s.startsWith("~", i)) op = Operator.TILDE;
        if (op != null) i += op.text.length();

        // the USE part starts at the first '[' and must close at the very end
        int bracket = s.indexOf('[', i);
        int mainEnd = bracket < 0 ? n : bracket;
        int colon = s.indexOf(':', i);
        if (colon > mainEnd) colon = -1;
        int cpvEnd = colon < 0 ? mainEnd : colon;
        if (op == Operator.EQUAL && cpvEnd > i && s.charAt(cpvEnd - 1) == '*') op = Operator.GLOB;
        int nameEnd = op == Operator.GLOB ? cpvEnd - 1 : cpvEnd;

        int slash = s.indexOf('/', i);
        if (slash < 0 || slash >= nameEnd) throw Errors.at("atom", s, i, "expected category/package");
        if (!Names.isCategory(s, i, slash)) throw Errors.at("atom", s, i, "invalid category name");
        String category = s.substring(i, slash);
        String name;
        Version version = null;
        if (op == null) {
            if (!Names.isPackageChars(s, slash + 1, nameEnd)) throw Errors.at("atom", s, slash + 1, "invalid package name");
            if (!Names.isPackageName(s, slash + 1, nameEnd)) {
                throw Errors.at("atom", s, slash + 1, "a version needs an operator (package name must not end in '-' and a version)");
            }
            name = s.substring(slash + 1, nameEnd);
        } else {
            int h = Cpv.splitVersion(s, slash + 1, nameEnd);
            if (h == Cpv.NO_VERSION) throw Errors.at("atom", s, slash + 1, "operator '" + op.text + "' needs name-version");
            if (h == Cpv.NAME_LOOKS_VERSIONED) throw Errors.at("atom", s, slash + 1, "package name must not end in '-' and a version");
            name = s.substring(slash + 1, h);
            version = Version.parse(s.substring(h + 1, nameEnd));
        }

        String slot = null, subslot = null, slotOp = null, repo = null;
        if (colon >= 0) {
            int repoAt = s.indexOf("::", colon);
            if (repoAt < 0 || repoAt > mainEnd) repoAt = -1;
            if (repoAt != colon) {
                int slotEnd = repoAt < 0 ? mainEnd : repoAt;
                int p = colon + 1;
                if (p == slotEnd) throw Errors.at("atom", s, p, "empty slot");
                if (s.charAt(slotEnd - 1) == '=' || s.charAt(slotEnd - 1) == '*') slotOp = String.valueOf(s.charAt(slotEnd - 1));
                int slotNamesEnd = slotOp == null ? slotEnd : slotEnd - 1;
                if (p < slotNamesEnd) {
                    int sl = s.indexOf('/', p);
                    int mainSlotEnd = sl < 0 || sl >= slotNamesEnd ? slotNamesEnd : sl;
                    if (!Names.isCategory(s, p, mainSlotEnd)) throw Errors.at("atom", s, p, "invalid slot name");
                    slot = s.substring(p, mainSlotEnd);
                    if (mainSlotEnd < slotNamesEnd) {
                        if (!Names.isCategory(s, mainSlotEnd + 1, slotNamesEnd)) throw Errors.at("atom", s, mainSlotEnd + 1, "invalid sub-slot name");
                        subslot = s.substring(mainSlotEnd + 1, slotNamesEnd);
                    }
                    if ("*".equals(slotOp)) throw Errors.at("atom", s, slotNamesEnd, "':*' cannot follow a slot name");
                }
            }
            if (repoAt >= 0) {
                repo = s.substring(repoAt + 2, mainEnd);
                if (!Names.isValidRepoName(repo)) throw Errors.at("atom", s, repoAt + 2, "invalid repository name");
                if (!allowRepo) throw Errors.at("atom", s, repoAt, "'::repo' is not allowed here");
            }
        }

        List<UseDep> use = List.of();
        if (bracket >= 0) {
            if (s.charAt(n - 1) != ']' || n - 1 == bracket) throw Errors.at("atom", s, n - 1, "USE dependencies must end with ']'");
            use = parseUse(s, bracket + 1, n - 1);
        }
        return new Atom(blocker, op, category, name, version, slot, subslot, slotOp, repo, use);
    }

    private static List<UseDep> parseUse(String s, int from, int to) {
        List<UseDep> list = new ArrayList<>();
        Map<String, UseDep.Missing> defaults = new HashMap<>();
        int p = from;
        while (true) {
            int comma = s.indexOf(',', p);
            int end = comma < 0 || comma > to ? to : comma;
            UseDep d = UseDep.parse(s, p, end);
            UseDep.Missing prev = defaults.putIfAbsent(d.flag(), d.missing());
            if (prev != null && prev != d.missing()) {
                throw Errors.at("atom", s, p, "conflicting (+)/(-) defaults for USE flag '" + Errors.clip(d.flag()) + "'");
            }
            list.add(d);
            if (end == to) break;
            p = end + 1;
        }
        return list;
    }

    /** {@code category/name}. */
    public String cp() {
        return category + "/" + name;
    }

    /** True for {@code !} and {@code !!} atoms. */
    public boolean isBlocker() {
        return blocker != Blocker.NONE;
    }

    /** The same atom without its blocker prefix. */
    public Atom withoutBlocker() {
        return blocker == Blocker.NONE ? this
                : new Atom(Blocker.NONE, operator, category, name, version, slot, subslot, slotOperator, repo, use);
    }

    /** The same atom without USE dependencies. */
    public Atom withoutUse() {
        return use.isEmpty() ? this
                : new Atom(blocker, operator, category, name, version, slot, subslot, slotOperator, repo, List.of());
    }

    /** True when some USE dependency depends on the parent's USE ({@code c=}, {@code e?}, ...). */
    public boolean hasConditionalUse() {
        for (UseDep d : use) if (d.kind().conditional()) return true;
        return false;
    }

    /**
     * Resolves conditional USE dependencies against the parent's enabled USE, as Portage's
     * {@code Atom.evaluate_conditionals} does (the (+)/(-) defaults are kept). Unlike Portage's
     * string form, a {@code ::repo} is kept.
     */
    public Atom evaluateConditionals(Set<String> parentUse) {
        if (!hasConditionalUse()) return this;
        List<UseDep> out = new ArrayList<>(use.size());
        for (UseDep d : use) {
            UseDep e = d.evaluate(parentUse);
            if (e != null) out.add(e);
        }
        return new Atom(blocker, operator, category, name, version, slot, subslot, slotOperator, repo, out);
    }

    /** Category, name and version test only (what package.mask and friends need); ignores the blocker. */
    public boolean matchesCpv(Cpv cpv) {
        if (!name.equals(cpv.name()) || !category.equals(cpv.category())) return false;
        if (operator == null) return true;
        Version v = cpv.version();
        return switch (operator) {
            case EQUAL -> v.compareTo(version) == 0;
            case GLOB -> v.matchesGlob(version);
            // Portage compares the version text without revision literally here
            case TILDE -> v.withoutRevision().equals(version.withoutRevision());
            case LESS -> v.compareTo(version) < 0;
            case LESS_EQUAL -> v.compareTo(version) <= 0;
            case GREATER -> v.compareTo(version) > 0;
            case GREATER_EQUAL -> v.compareTo(version) >= 0;
        };
    }

    /**
     * Slot test; a null package slot means unknown and matches. The package's sub-slot defaults
     * to its slot when null.
     */
    public boolean matchesSlot(String pkgSlot, String pkgSubslot) {
        if (slot == null || pkgSlot == null) return true;
        if (!slot.equals(pkgSlot)) return false;
        return subslot == null || subslot.equals(pkgSubslot == null ? pkgSlot : pkgSubslot);
    }

    /**
     * USE test against a package's enabled USE and IUSE (including implicit IUSE), the way
     * Portage's {@code match_from_list} does: every flag named without a (+)/(-) default must be
     * in IUSE; conditional forms are otherwise ignored, so evaluate them first.
     */
    public boolean matchesUse(Set<String> enabledUse, Set<String> iuse) {
        for (UseDep d : use) {
            if (d.missing() == UseDep.Missing.NONE && !iuse.contains(d.flag())) return false;
            if (!d.satisfiedBy(enabledUse, iuse)) return false;
        }
        return true;
    }

    /**
     * Full match of a package. {@code slot}, {@code repo}, {@code enabledUse} and {@code iuse}
     * may be null for "unknown", which does not filter (as in Portage).
     */
    public boolean matches(Cpv cpv, String pkgSlot, String pkgSubslot, String pkgRepo,
                           Set<String> enabledUse, Set<String> iuse) {
        if (!matchesCpv(cpv) || !matchesSlot(pkgSlot, pkgSubslot)) return false;
        if (repo != null && pkgRepo != null && !repo.equals(pkgRepo)) return false;
        return enabledUse == null || iuse == null || matchesUse(enabledUse, iuse);
    }

    /**
     * The fields Portage's {@code Atom} exposes, under the names and in the forms of the
     * project's fixtures: blocker, cp, operator, repo, slot, slot_operator, subslot, use, version
     * (absent values are null; keys sorted).
     */
    public Map<String, String> toPortageFields() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("blocker", blocker == Blocker.NONE ? null : blocker.text);
        m.put("cp", cp());
        m.put("operator", operator == null ? null : operator.text);
        m.put("repo", repo);
        m.put("slot", slot);
        m.put("slot_operator", slotOperator);
        m.put("subslot", subslot);
        m.put("use", use.isEmpty() ? null : useString());
        m.put("version", version == null ? null : version.toString());
        return m;
    }

    /** {@link #toPortageFields()} as one line of JSON, formatted like Python's {@code json.dumps}. */
    public String toPortageJson() {
        StringBuilder sb = new StringBuilder(160).append('{');
        boolean first = true;
        for (Map.Entry<String, String> e : toPortageFields().entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            sb.append('"').append(e.getKey()).append("\": ");
            // every value is made of atom characters, which need no JSON escaping
            if (e.getValue() == null) sb.append("null");
            else sb.append('"').append(e.getValue()).append('"');
        }
        return sb.append('}').toString();
    }

    private String useString() {
        StringBuilder sb = new StringBuilder().append('[');
        for (int k = 0; k < use.size(); k++) {
            if (k > 0) sb.append(',');
            sb.append(use.get(k));
        }
        return sb.append(']').toString();
    }

    /** The canonical text, identical to the parsed input. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(48).append(blocker.text);
        if (operator != null) sb.append(operator == Operator.GLOB ? "=" : operator.text);
        sb.append(category).append('/').append(name);
        if (version != null) sb.append('-').append(version);
        if (operator == Operator.GLOB) sb.append('*');
        if (slot != null || slotOperator != null) {
            sb.append(':');
            if (slot != null) sb.append(slot);
            if (subslot != null) sb.append('/').append(subslot);
            if (slotOperator != null) sb.append(slotOperator);
        }
        if (repo != null) sb.append("::").append(repo);
        if (!use.isEmpty()) sb.append(useString());
        return sb.toString();
    }

    /** Atoms are equal when their text is (as in Portage), so {@code =a/b-1.0} differs from {@code =a/b-1.00}. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Atom a && blocker == a.blocker && operator == a.operator && category.equals(a.category)
                && name.equals(a.name) && Objects.equals(String.valueOf(version), String.valueOf(a.version))
                && Objects.equals(slot, a.slot) && Objects.equals(subslot, a.subslot)
                && Objects.equals(slotOperator, a.slotOperator) && Objects.equals(repo, a.repo) && use.equals(a.use);
    }

    @Override
    public int hashCode() {
        return Objects.hash(blocker, operator, category, name, String.valueOf(version), slot, subslot, slotOperator, repo, use);
    }
}

package org.stageforge.profile;

import org.stageforge.ParseException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Atom-keyed rules (package.use, package.use.mask, package.accept_keywords...) indexed by
 * category/package, answering "which entries apply to this package, least specific first" as
 * Portage's {@code ordered_by_atom_specificity} does.
 */
final class PackageRules {
    /**
     * A parsed rule: a plain atom, or (user configuration only) Portage's wildcard form
     * {@code cat/*}, {@code * /pkg}, {@code * / *} with optional {@code :slot} and {@code ::repo}.
     */
    record Rule(Atom atom, Wildcard wildcard, Entry entry) {
        boolean matches(Cpv cpv, String slot, String subslot, String repo) {
            return atom != null ? atom.matches(cpv, slot, subslot, repo, null, null) : wildcard.matches(cpv, slot, repo);
        }
    }

    /** A wildcard atom: glob patterns for category and name, optional slot and repository. */
    record Wildcard(Pattern category, Pattern name, String slot, String repo) {
        static final Pattern SYNTAX = Pattern.compile(
                "([A-Za-z0-9_*][A-Za-z0-9+_.*-]*)/([A-Za-z0-9_*][A-Za-z0-9+_*-]*)(?::([A-Za-z0-9_][A-Za-z0-9+_.-]*))?(?:::([A-Za-z0-9_][A-Za-z0-9_-]*))?");

        static Wildcard parse(String s) {
            Matcher m = SYNTAX.matcher(s);
            if (!m.matches() || (m.group(1).indexOf('*') < 0 && m.group(2).indexOf('*') < 0)) return null;
            return new Wildcard(glob(m.group(1)), glob(m.group(2)), m.group(3), m.group(4));
        }

        private static Pattern glob(String g) {
            StringBuilder re = new StringBuilder();
            for (String part : g.split("\\*", -1)) {
                if (re.length() > 0 || g.startsWith("*")) re.append(".*");
                re.append(Pattern.quote(part));
            }
            return Pattern.compile(g.equals("*") ? ".*" : re.toString());
        }

        boolean matches(Cpv cpv, String pkgSlot, String pkgRepo) {
            if (!category.matcher(cpv.category()).matches() || !name.matcher(cpv.name()).matches()) return false;
            if (slot != null && pkgSlot != null && !slot.equals(pkgSlot)) return false;
            return repo == null || pkgRepo == null || repo.equals(pkgRepo);
        }
    }

    private final Map<String, List<Rule>> byCp = new HashMap<>();
    private final List<Rule> wildcards = new ArrayList<>();

    /**
     * Indexes {@code entries}; invalid atoms go to {@code warnings}. Wildcards are accepted only
     * with {@code allowWildcards} (user configuration files).
     */
    PackageRules(List<Entry> entries, List<String> warnings, boolean allowWildcards) {
        for (Entry e : entries) {
            Wildcard w = allowWildcards ? Wildcard.parse(e.value()) : null;
            if (w != null) {
                wildcards.add(new Rule(null, w, e));
                continue;
            }
            Atom a;
            try {
                a = Atom.parse(e.value());
            } catch (ParseException ex) {
                if (warnings != null) warnings.add("invalid atom in " + e.origin() + ": " + ex.getMessage());
                continue;
            }
            byCp.computeIfAbsent(a.cp(), k -> new ArrayList<>()).add(new Rule(a, null, e));
        }
    }

    PackageRules(List<Entry> entries, List<String> warnings) {
        this(entries, warnings, false);
    }

    private List<Rule> candidates(Cpv cpv) {
        List<Rule> rules = byCp.get(cpv.cp());
        if (wildcards.isEmpty()) return rules == null ? List.of() : rules;
        List<Rule> all = new ArrayList<>(wildcards);
        if (rules != null) all.addAll(rules);
        return all;
    }

    /** The first rule matching the package, in file order (how package.mask is consulted). */
    Rule firstMatch(Cpv cpv, String slot, String subslot, String repo) {
        for (Rule r : candidates(cpv)) if (r.matches(cpv, slot, subslot, repo)) return r;
        return null;
    }

    /** Matching rules, least specific first (so later ones win when applied in order). */
    List<Rule> ordered(Cpv cpv, String slot, String subslot, String repo) {
        List<Rule> candidates = new ArrayList<>();
        for (Rule r : candidates(cpv)) if (r.matches(cpv, slot, subslot, repo)) candidates.add(r);
        if (candidates.isEmpty()) return List.of();
        List<Rule> out = new ArrayList<>();
        while (!candidates.isEmpty()) {
            Rule best = best(cpv, candidates);
            candidates.remove(best);
            out.add(best);
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /** Portage's {@code best_match_to_list}: exact versions beat ~, globs, ranges, slots, plain names. */
    private static Rule best(Cpv cpv, List<Rule> candidates) {
        int max = -99;
        Rule best = null;
        for (Rule r : candidates) {
            Atom x = r.atom();
            if (x == null) { // wildcards rank below every plain atom
                int v = r.wildcard().slot() != null ? -1 : -2;
                if (max < v) {
                    max = v;
                    best = r;
                }
                continue;
            }
            if (x.slot() != null && max < 3) {
                max = 3;
                best = r;
            }
            int op = opValue(x.operator());
            if (op > max) {
                max = op;
                best = r;
            } else if (op == max && op == 2) {
                // among range operators the bound closest to the package version wins
                Atom b = best.atom();
                if (b.version().compareTo(cpv.version()) == 0 || b.version().compareTo(x.version()) == 0) continue;
                if (x.version().compareTo(cpv.version()) == 0) {
                    best = r;
                    continue;
                }
                int xb = x.version().compareTo(b.version());
                boolean pkgAbove = cpv.version().compareTo(b.version()) > 0 && cpv.version().compareTo(x.version()) > 0;
                boolean pkgBelow = cpv.version().compareTo(b.version()) < 0 && cpv.version().compareTo(x.version()) < 0;
                if ((pkgAbove && xb > 0) || (pkgBelow && xb < 0)) best = r;
            }
        }
        return best;
    }

    private static int opValue(Atom.Operator op) {
        if (op == null) return 1;
        return switch (op) {
            case EQUAL -> 6;
            case TILDE -> 5;
            case GLOB -> 4;
            default -> 2;
        };
    }
}

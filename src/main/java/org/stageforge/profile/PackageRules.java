package org.stageforge.profile;

import org.stageforge.ParseException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Atom-keyed rules (package.use, package.use.mask, package.accept_keywords...) indexed by
 * category/package, answering "which entries apply to this package, least specific first" as
 * Portage's {@code ordered_by_atom_specificity} does.
 */
final class PackageRules {
    /** A parsed rule. */
    record Rule(Atom atom, Entry entry) {}

    private final Map<String, List<Rule>> byCp = new HashMap<>();

    /** Indexes {@code entries}; invalid atoms (and wildcards, not supported) go to {@code warnings}. */
    PackageRules(List<Entry> entries, List<String> warnings) {
        for (Entry e : entries) {
            Atom a;
            try {
                a = Atom.parse(e.value());
            } catch (ParseException ex) {
                if (warnings != null) warnings.add("invalid atom in " + e.origin() + ": " + ex.getMessage());
                continue;
            }
            byCp.computeIfAbsent(a.cp(), k -> new ArrayList<>()).add(new Rule(a, e));
        }
    }

    boolean isEmpty() {
        return byCp.isEmpty();
    }

    /** The first rule matching the package, in file order (how package.mask is consulted). */
    Rule firstMatch(Cpv cpv, String slot, String subslot, String repo) {
        List<Rule> rules = byCp.get(cpv.cp());
        if (rules == null) return null;
        for (Rule r : rules) if (r.atom().matches(cpv, slot, subslot, repo, null, null)) return r;
        return null;
    }

    /** Matching rules, least specific first (so later ones win when applied in order). */
    List<Rule> ordered(Cpv cpv, String slot, String subslot, String repo) {
        List<Rule> rules = byCp.get(cpv.cp());
        if (rules == null) return List.of();
        List<Rule> candidates = new ArrayList<>();
        for (Rule r : rules) if (r.atom().matches(cpv, slot, subslot, repo, null, null)) candidates.add(r);
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

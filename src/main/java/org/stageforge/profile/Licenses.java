package org.stageforge.profile;

import org.stageforge.ParseException;
import org.stageforge.config.ConfigFiles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * License acceptance as Portage's LicenseManager does it: ACCEPT_LICENSE tokens with
 * {@code @GROUP}s from license_groups expanded, package.license adding per-package tokens, and a
 * LICENSE string ({@code ||}, {@code flag?} groups) checked against the result.
 */
final class Licenses {
    private final Map<String, List<String>> groups = new LinkedHashMap<>();

    /** Reads license_groups files in order (later definitions of a group add to it). */
    Licenses(List<Path> licenseGroupFiles) {
        for (Path f : licenseGroupFiles) {
            for (ConfigFiles.Line l : ConfigFiles.lines(f, false)) {
                String[] w = l.text().split(" ");
                groups.computeIfAbsent(w[0], k -> new ArrayList<>()).addAll(List.of(w).subList(1, w.length));
            }
        }
    }

    Map<String, List<String>> groups() {
        return groups;
    }

    /** Expands {@code @GROUP} and {@code -@GROUP} tokens (nested groups too; unknown groups vanish). */
    List<String> expand(List<String> tokens) {
        List<String> out = new ArrayList<>();
        for (String t : tokens) {
            boolean neg = t.startsWith("-");
            String x = neg ? t.substring(1) : t;
            if (x.startsWith("@")) {
                for (String lic : members(x.substring(1), new HashSet<>())) out.add(neg ? "-" + lic : lic);
            } else {
                out.add(t);
            }
        }
        return out;
    }

    private List<String> members(String group, Set<String> seen) {
        List<String> out = new ArrayList<>();
        if (!seen.add(group)) return out;
        for (String m : groups.getOrDefault(group, List.of())) {
            if (m.startsWith("@")) out.addAll(members(m.substring(1), seen));
            else out.add(m);
        }
        return out;
    }

    /**
     * The licenses of {@code license} (a LICENSE string) that are not accepted given the accept
     * tokens (already group-expanded) and the package's enabled USE; empty when acceptable.
     */
    static List<String> missing(String license, List<String> acceptTokens, Set<String> use) {
        List<String> tokens = tokens(license);
        Set<String> all = new HashSet<>();
        for (String t : tokens) if (isName(t)) all.add(t);
        Set<String> acceptable = new HashSet<>();
        for (String x : acceptTokens) {
            if (x.equals("*")) acceptable.addAll(all);
            else if (x.equals("-*")) acceptable.clear();
            else if (x.startsWith("-")) acceptable.remove(x.substring(1));
            else acceptable.add(x);
        }
        int[] pos = {0};
        List<String> out = new ArrayList<>();
        group(tokens, pos, false, false, use, acceptable, out, license);
        return out;
    }

    private static boolean isName(String t) {
        return !t.equals("||") && !t.equals("(") && !t.equals(")") && !t.endsWith("?");
    }

    private static List<String> tokens(String s) {
        return ConfigFiles.words(s);
    }

    /**
     * Evaluates tokens until ')' or the end. For an any-of group ({@code anyOf}) nothing is
     * missing when one alternative is fully accepted; otherwise every alternative's missing
     * licenses are reported, as Portage does.
     */
    private static boolean group(List<String> t, int[] pos, boolean anyOf, boolean nested, Set<String> use,
                                 Set<String> ok, List<String> out, String src) {
        List<List<String>> alternatives = new ArrayList<>();
        boolean allOk = true;
        while (pos[0] < t.size()) {
            String x = t.get(pos[0]++);
            if (x.equals(")")) {
                if (!nested) throw new ParseException("LICENSE '" + src + "'", 0, 0, "unbalanced ')'");
                return finish(anyOf, alternatives, out, allOk);
            }
            List<String> miss = new ArrayList<>();
            if (x.equals("||")) {
                expect(t, pos, src);
                group(t, pos, true, true, use, ok, miss, src);
            } else if (x.endsWith("?")) {
                expect(t, pos, src);
                boolean neg = x.startsWith("!");
                String flag = x.substring(neg ? 1 : 0, x.length() - 1);
                if (flag.isEmpty()) throw new ParseException("LICENSE '" + src + "'", 0, 0, "empty USE conditional");
                List<String> inner = new ArrayList<>();
                group(t, pos, false, true, use, ok, inner, src);
                if (use.contains(flag) == neg) continue; // a disabled conditional is no alternative
                miss.addAll(inner);
            } else if (x.equals("(")) {
                group(t, pos, false, true, use, ok, miss, src);
            } else if (!ok.contains(x)) {
                miss.add(x);
            }
            if (anyOf) alternatives.add(miss);
            else out.addAll(miss);
            if (!miss.isEmpty()) allOk = false;
        }
        if (nested) throw new ParseException("LICENSE '" + src + "'", 0, 0, "missing ')'");
        return allOk;
    }

    private static boolean finish(boolean anyOf, List<List<String>> alternatives, List<String> out, boolean allOk) {
        if (!anyOf) return allOk;
        for (List<String> a : alternatives) if (a.isEmpty()) return true;
        for (List<String> a : alternatives) out.addAll(a);
        return alternatives.isEmpty();
    }

    private static void expect(List<String> t, int[] pos, String src) {
        if (pos[0] >= t.size() || !t.get(pos[0]).equals("(")) {
            throw new ParseException("LICENSE '" + src + "'", 0, 0, "expected '(' after '" + t.get(pos[0] - 1) + "'");
        }
        pos[0]++;
    }
}

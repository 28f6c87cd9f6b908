package org.stageforge.resolve;

import org.stageforge.config.ConfigFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.profile.PortageConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** A {@link ResolvePlan} as {@code emerge -pv} prints it, and as JSON. */
public final class PlanFormat {
    private PlanFormat() {}

    /**
     * The pretend listing: one {@code [binary  N     ] cat/pkg-1.0::repo  USE="a -b (-c)" X="..." 12 KiB}
     * line per package in merge order ({@code [ebuild  N     ]} and 0 KiB for a package built from source) (USE_EXPAND flags grouped under their variable, hidden ones
     * left out, forced and masked flags in parentheses), unmerges, warnings and the total line.
     */
    public static String pretend(ResolvePlan plan, PortageConfig config) {
        StringBuilder sb = new StringBuilder();
        sb.append("\nThese are the packages that would be merged, in order:\n\n");
        List<String> expand = ConfigFiles.words(config.get("USE_EXPAND"));
        Set<String> hidden = new TreeSet<>(ConfigFiles.words(config.get("USE_EXPAND_HIDDEN")));
        long total = 0;
        int[] counts = new int[PlannedPackage.Action.values().length];
        int binaries = 0;
        for (PlannedPackage p : plan.packages()) {
            counts[p.action().ordinal()]++;
            if (p.size() > 0) total += p.size();
            if (!p.fromSource()) binaries++;
            sb.append(p.fromSource() ? "[ebuild " : "[binary ").append(flags(p.action())).append("] ").append(p.display());
            if (p.buildId() > 0) sb.append(" (build ").append(p.buildId()).append(')');
            if (p.replaces() != null && p.action() != PlannedPackage.Action.REINSTALL) {
                sb.append(" [").append(p.replaces().substring(p.replaces().indexOf('/') + 1)).append(']');
            }
            String use = useText(p, config, expand, hidden);
            if (!use.isEmpty()) sb.append("  ").append(use);
            sb.append(' ').append(kib(Math.max(p.size(), 0))).append('\n');
        }
        for (String r : plan.removals()) sb.append("[uninstall     ] ").append(r).append('\n');
        for (String w : plan.warnings()) sb.append("\n * ").append(w);
        if (!plan.warnings().isEmpty()) sb.append('\n');
        int n = plan.packages().size();
        List<String> parts = new ArrayList<>();
        int up = counts[PlannedPackage.Action.UPGRADE.ordinal()];
        int down = counts[PlannedPackage.Action.DOWNGRADE.ordinal()];
        int fresh = counts[PlannedPackage.Action.NEW.ordinal()];
        int re = counts[PlannedPackage.Action.REINSTALL.ordinal()] + counts[PlannedPackage.Action.REPLACE.ordinal()];
        if (up > 0) parts.add(up + (up == 1 ? " upgrade" : " upgrades"));
        if (down > 0) parts.add(down + (down == 1 ? " downgrade" : " downgrades"));
        if (fresh > 0) parts.add(fresh + " new");
        if (re > 0) parts.add(re + (re == 1 ? " reinstall" : " reinstalls"));
        int un = plan.removals().size();
        if (un > 0) parts.add(un + (un == 1 ? " uninstall" : " uninstalls"));
        if (binaries > 0) parts.add(binaries + (binaries == 1 ? " binary" : " binaries"));
        sb.append("\nTotal: ").append(n).append(n == 1 ? " package" : " packages");
        if (!parts.isEmpty()) sb.append(" (").append(String.join(", ", parts)).append(')');
        sb.append(", Size of downloads: ").append(kib(total)).append('\n');
        return sb.toString();
    }

    /** emerge's 7-column status: N, R, U, D letters in their columns. */
    static String flags(PlannedPackage.Action a) {
        char[] c = "       ".toCharArray();
        switch (a) {
            case NEW -> c[1] = 'N';
            case REINSTALL, REPLACE -> c[2] = 'R';
            case UPGRADE -> c[4] = 'U';
            case DOWNGRADE -> {
                c[4] = 'U';
                c[5] = 'D';
            }
        }
        return new String(c);
    }

    /** Sizes as Portage's localized_size: KiB rounded up, with thousands separators. */
    static String kib(long bytes) {
        return String.format(Locale.ROOT, "%,d KiB", (bytes + 1023) / 1024);
    }

    static String useText(PlannedPackage p, PortageConfig config, List<String> expand, Set<String> hidden) {
        List<String> kw = p.entry() == null ? List.of() : p.entry().keywords();
        Set<String> masked = config.useMask(p.cpv(), p.slot(), p.repo(), kw);
        Set<String> forced = config.useForce(p.cpv(), p.slot(), p.repo(), kw);
        Map<String, List<String>> groups = new TreeMap<>();
        Map<String, List<String>> disabled = new TreeMap<>();
        for (String f : new TreeSet<>(p.iuse())) {
            String var = "USE";
            String shown = f;
            for (String e : expand) {
                String prefix = e.toLowerCase(Locale.ROOT) + "_";
                if (f.startsWith(prefix) && f.length() > prefix.length()) {
                    var = e;
                    shown = f.substring(prefix.length());
                    break;
                }
            }
            if (hidden.contains(var)) continue;
            boolean on = p.use().contains(f);
            String t = on ? shown : "-" + shown;
            if (on ? forced.contains(f) : masked.contains(f)) t = "(" + t + ")";
            (on ? groups : disabled).computeIfAbsent(var, k -> new ArrayList<>()).add(t);
        }
        Set<String> vars = new TreeSet<>(groups.keySet());
        vars.addAll(disabled.keySet());
        List<String> out = new ArrayList<>();
        if (vars.remove("USE")) out.add(group("USE", groups, disabled));
        for (String v : vars) out.add(group(v, groups, disabled));
        return String.join(" ", out);
    }

    private static String group(String var, Map<String, List<String>> on, Map<String, List<String>> off) {
        List<String> l = new ArrayList<>(on.getOrDefault(var, List.of()));
        l.addAll(off.getOrDefault(var, List.of()));
        return var + "=\"" + String.join(" ", l) + "\"";
    }

    /** The plan as JSON: packages in merge order with their fields, removals, world additions, warnings. */
    public static String json(ResolvePlan plan) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Map<String, Object>> pkgs = new ArrayList<>();
        for (PlannedPackage p : plan.packages()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cpv", p.cpv().toString());
            m.put("slot", p.slot());
            m.put("subslot", p.subslot());
            m.put("repo", p.repo());
            m.put("buildId", p.buildId());
            m.put("binhost", p.binhost());
            m.put("path", p.path());
            m.put("size", p.size());
            m.put("action", p.action().name());
            m.put("replaces", p.replaces());
            m.put("use", new TreeSet<>(p.use()));
            m.put("iuse", new TreeSet<>(p.iuse()));
            m.put("reason", p.reason());
            m.put("world", p.world());
            m.put("fromSource", p.fromSource());
            pkgs.add(m);
        }
        root.put("packages", pkgs);
        root.put("removals", plan.removals());
        root.put("worldAdditions", plan.worldAdditions());
        root.put("warnings", plan.warnings());
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

package org.stageforge.profile;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Portage's USE calculation ({@code config.regenerate}): layers in USE_ORDER, each contributing
 * its USE tokens, then (except the make.defaults layer, whose USE_EXPAND values were already turned
 * into flags) its USE_EXPAND variables, which replace all flags of their prefix. Forced flags and
 * ARCH are added and masked flags removed last.
 */
final class UseCalculator {
    /** One layer: its USE tokens and its variables (for USE_EXPAND / USE_EXPAND_UNPREFIXED). */
    record Layer(String use, Map<String, String> vars, boolean profileDefaults) {}

    private UseCalculator() {}

    /**
     * The USE_EXPAND and USE_EXPAND_UNPREFIXED values of one make.defaults file turned into flags,
     * followed by its own USE (Portage's make_defaults_use entry for that node).
     */
    static String makeDefaultsUse(Map<String, String> cfg, List<String> useExpand, List<String> unprefixed) {
        if (cfg.isEmpty()) return "";
        String use = cfg.getOrDefault("USE", "");
        List<String> expand = new ArrayList<>();
        for (String k : unprefixed) {
            String v = cfg.get(k);
            if (v != null) expand.addAll(words(v));
        }
        for (String k : useExpand) {
            String v = cfg.get(k);
            if (v == null) continue;
            String prefix = k.toLowerCase(Locale.ROOT) + "_";
            for (String x : words(v)) {
                expand.add(x.startsWith("-") ? "-" + prefix + x.substring(1) : prefix + x);
            }
        }
        if (expand.isEmpty()) return use;
        expand.add(use);
        return String.join(" ", expand);
    }

    static Set<String> compute(List<Layer> layers, List<String> useExpand, List<String> unprefixed,
                               Collection<String> iuse, Set<String> force, Set<String> mask, String arch) {
        Set<String> flags = new HashSet<>();
        for (Layer layer : layers) {
            for (String k : unprefixed) {
                String v = layer.vars().get(k);
                if (v == null) continue;
                for (String x : words(v)) {
                    if (x.startsWith("-")) flags.remove(x.substring(1));
                    else flags.add(x);
                }
            }
            List<String> curExpand = new ArrayList<>();
            for (String k : useExpand) if (layer.vars().containsKey(k)) curExpand.add(k);
            List<String> split = words(layer.use());
            if (split.isEmpty() && curExpand.isEmpty()) continue;
            for (String x : split) {
                if (x.equals("-*")) {
                    flags.clear();
                    continue;
                }
                if (x.startsWith("+")) {
                    x = x.substring(1);
                    if (x.isEmpty()) continue;
                }
                if (x.startsWith("-")) {
                    if (x.endsWith("_*")) {
                        String prefix = x.substring(1, x.length() - 1);
                        flags.removeIf(f -> f.startsWith(prefix));
                    }
                    flags.remove(x.substring(1));
                    continue;
                }
                if (iuse != null && x.endsWith("_*")) {
                    // USE="linguas_*" enables the matching IUSE flags, or passes through if none
                    String prefix = x.substring(0, x.length() - 1);
                    boolean any = false;
                    for (String y : iuse) {
                        if (y.startsWith(prefix)) {
                            flags.add(y);
                            any = true;
                        }
                    }
                    if (!any) flags.add(x);
                } else {
                    flags.add(x);
                }
            }
            if (layer.profileDefaults()) continue;
            for (String var : curExpand) {
                String prefix = var.toLowerCase(Locale.ROOT) + "_";
                flags.removeIf(f -> f.startsWith(prefix));
                for (String x : words(layer.vars().get(var))) {
                    // Portage rejects +/- in these non-incremental variables (with a warning)
                    if (x.startsWith("+") || x.startsWith("-")) continue;
                    flags.add(prefix + x);
                }
            }
        }
        flags.addAll(force);
        if (arch != null && !arch.isEmpty()) flags.add(arch);
        flags.removeAll(mask);
        return new TreeSet<>(flags);
    }

    static List<String> words(String s) {
        return org.stageforge.config.ConfigFiles.words(s);
    }
}

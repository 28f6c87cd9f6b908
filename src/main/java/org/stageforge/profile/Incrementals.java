package org.stageforge.profile;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Portage's stacking rules for incremental values ({@code -x} removes, {@code -*} clears). */
public final class Incrementals {
    /** Portage's INCREMENTALS: variables whose values accumulate across configuration layers. */
    public static final Set<String> VARIABLES = Set.of("ACCEPT_KEYWORDS", "CONFIG_PROTECT", "CONFIG_PROTECT_MASK",
            "ENV_UNSET", "FEATURES", "IUSE_IMPLICIT", "PRELINK_PATH", "PRELINK_PATH_MASK", "PROFILE_ONLY_VARIABLES",
            "USE", "USE_EXPAND", "USE_EXPAND_HIDDEN", "USE_EXPAND_IMPLICIT", "USE_EXPAND_UNPREFIXED");

    private Incrementals() {}

    /** Applies tokens in order: {@code -*} clears, {@code -x} removes x, a leading {@code +} is dropped. */
    public static Set<String> stack(Collection<String> tokens) {
        Set<String> out = new LinkedHashSet<>();
        for (String x : tokens) {
            if (x.equals("-*")) {
                out.clear();
                continue;
            }
            if (x.startsWith("+")) {
                x = x.substring(1);
                if (x.isEmpty()) continue;
            }
            if (x.startsWith("-")) out.remove(x.substring(1));
            else out.add(x);
        }
        return out;
    }

    /**
     * Portage's {@code stack_lists(..., incremental=1)} over entries keyed by {@code key}: a later
     * {@code -key} drops an earlier entry, {@code -*} drops all; re-adding keeps the first position
     * but the latest entry. With {@code ignoreRepo}, {@code -cat/pkg} also drops {@code cat/pkg::repo}.
     */
    public static <T> List<T> stackEntries(List<T> entries, Function<T, String> key, boolean ignoreRepo) {
        LinkedHashMap<String, T> out = new LinkedHashMap<>();
        for (T e : entries) {
            String k = key.apply(e);
            if (k.equals("-*")) {
                out.clear();
            } else if (k.startsWith("-")) {
                String target = k.substring(1);
                if (ignoreRepo && !target.contains("::")) {
                    out.keySet().removeIf(a -> withoutRepo(a).equals(target));
                } else {
                    out.remove(target);
                }
            } else {
                out.put(k, e);
            }
        }
        return new ArrayList<>(out.values());
    }

    static String withoutRepo(String atom) {
        int i = atom.indexOf("::");
        return i < 0 ? atom : atom.substring(0, i);
    }

    /** Portage's {@code prune_incremental}: keeps what follows the last {@code *} or {@code -*}. */
    public static List<String> prune(List<String> split) {
        for (int i = split.size() - 1; i >= 0; i--) {
            String x = split.get(i);
            if (x.equals("*")) return new ArrayList<>(split.subList(i, split.size()));
            if (x.equals("-*")) return new ArrayList<>(split.subList(i + 1, split.size()));
        }
        return new ArrayList<>(split);
    }
}

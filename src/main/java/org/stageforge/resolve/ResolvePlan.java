package org.stageforge.resolve;

import java.util.List;

/**
 * The result of a resolution.
 *
 * @param packages       what to merge, in merge order
 * @param removals       installed CPVs to unmerge because a package of the plan soft-blocks them (after
 *                       the plan is merged: a {@code !} blocker lets both coexist meanwhile, as in Portage)
 * @param worldAdditions what to add to the world files (explicit targets unless --oneshot), sorted: atoms
 *                       for {@code world}, and {@code @set} names (user sets given as targets) for
 *                       {@code world_sets}
 * @param warnings       things the user should know (cycles broken, ...), one line each
 */
public record ResolvePlan(List<PlannedPackage> packages, List<String> removals, List<String> worldAdditions,
                          List<String> warnings) {
    public ResolvePlan {
        packages = List.copyOf(packages);
        removals = List.copyOf(removals);
        worldAdditions = List.copyOf(worldAdditions);
        warnings = List.copyOf(warnings);
    }
}

package org.stageforge.cli;

import org.stageforge.merge.InstallMask;
import org.stageforge.merge.InstallMaskSets;
import org.stageforge.merge.MergeOptions;
import org.stageforge.profile.PortageConfig;

import java.nio.file.Path;
import java.util.Map;

/** Merge options from --config-root (Portage configuration) or Portage's defaults, plus the environment. */
final class MergeSettings {
    private MergeSettings() {}

    /**
     * With a config root: its CONFIG_PROTECT, INSTALL_MASK, FEATURES (environment overriding make.conf, as in
     * Portage) and install-mask sets from {@code CFG/etc/stageforge/install-mask-sets}. Without: Portage's defaults
     * and INSTALL_MASK from the environment (PKG_INSTALL_MASK only applies when binary packages are made).
     * {@code installMask}, when given, replaces the mask.
     */
    static MergeOptions options(Path root, Path configRoot, String installMask) {
        Map<String, String> env = System.getenv();
        InstallMaskSets sets = configRoot == null ? InstallMaskSets.defaults()
                : InstallMaskSets.defaults().withDirectory(configRoot);
        MergeOptions o;
        if (configRoot != null) {
            o = MergeOptions.fromConfig(root, PortageConfig.load(configRoot, env), sets);
        } else {
            o = MergeOptions.defaults(root).withInstallMask(InstallMask.parse(env.getOrDefault("INSTALL_MASK", ""), sets));
        }
        o = o.withSourceDateEpoch(org.stageforge.util.SourceDateEpoch.fromEnv(env));
        return installMask == null ? o : o.withInstallMask(InstallMask.parse(installMask, sets));
    }
}

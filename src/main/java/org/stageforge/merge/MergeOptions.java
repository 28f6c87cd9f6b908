package org.stageforge.merge;

import org.stageforge.profile.PortageConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of a merge batch.
 *
 * @param root             the target root
 * @param configProtect    CONFIG_PROTECT value (space-separated directories)
 * @param configProtectMask CONFIG_PROTECT_MASK value
 * @param installMask      INSTALL_MASK, already parsed (sets expanded)
 * @param protectIfModified FEATURES=config-protect-if-modified (Portage's default): an unmodified installed config
 *                         file is replaced without a {@code ._cfg} copy
 * @param oneshot          do not touch the world file
 * @param noPhases         skip all ebuild phases (they are listed in the result)
 * @param phaseRunner      runs phases when {@code noPhases} is false; null: phases are skipped and listed
 * @param unprivileged     force the normal-user code path even as root (owners, special modes, devices and
 *                         security xattrs go only to the file table)
 * @param sync             flush the root's filesystem once at the end of the batch
 * @param posix            native calls
 * @param buildDir         where images of packages with pkg_preinst are extracted for the phase (outside the root);
 *                         null: a temporary directory removed after the batch
 * @param sourceDateEpoch  SOURCE_DATE_EPOCH of the build: the day accounts are created on (shadow's last-change
 *                         field), as shadow's useradd takes it; empty: the clock
 */
public record MergeOptions(Path root, String configProtect, String configProtectMask, InstallMask installMask,
                           boolean protectIfModified, boolean oneshot, boolean noPhases, PhaseRunner phaseRunner,
                           boolean unprivileged, boolean sync, PosixOps posix, Path buildDir,
                           java.util.OptionalLong sourceDateEpoch) {

    public MergeOptions(Path root, String configProtect, String configProtectMask, InstallMask installMask,
                        boolean protectIfModified, boolean oneshot, boolean noPhases, PhaseRunner phaseRunner,
                        boolean unprivileged, boolean sync, PosixOps posix) {
        this(root, configProtect, configProtectMask, installMask, protectIfModified, oneshot, noPhases, phaseRunner,
                unprivileged, sync, posix, null, java.util.OptionalLong.empty());
    }

    public MergeOptions {
        Objects.requireNonNull(root);
        configProtect = configProtect == null ? "" : configProtect;
        configProtectMask = configProtectMask == null ? "" : configProtectMask;
        installMask = installMask == null ? InstallMask.none() : installMask;
        posix = posix == null ? PosixOps.system() : posix;
        sourceDateEpoch = sourceDateEpoch == null ? java.util.OptionalLong.empty() : sourceDateEpoch;
    }

    /** Portage's defaults (make.globals: CONFIG_PROTECT=/etc, CONFIG_PROTECT_MASK=/etc/env.d), no mask, no phases. */
    public static MergeOptions defaults(Path root) {
        return new MergeOptions(root, "/etc", "/etc/env.d", InstallMask.none(), true, false, true, null, false, true,
                null);
    }

    /**
     * Options from a Portage configuration: CONFIG_PROTECT(_MASK) as Portage assembles them (configuration plus the
     * root's {@code etc/env.d}, as env-update exports them), INSTALL_MASK with
     * named sets from {@code sets}, FEATURES config-protect-if-modified.
     */
    public static MergeOptions fromConfig(Path root, PortageConfig config, InstallMaskSets sets) {
        Map<String, String> envd;
        try {
            envd = Files.isDirectory(RootFiles.resolve(root, "etc/env.d")) ? EnvUpdate.compute(root).vars() : Map.of();
        } catch (java.io.IOException e) {
            throw new org.stageforge.StageforgeException("cannot read " + root + "/etc/env.d: " + e.getMessage(), e);
        }
        String protect = join(config.getOrDefault("CONFIG_PROTECT", ""), envd.getOrDefault("CONFIG_PROTECT", ""));
        String protectMask = join(config.getOrDefault("CONFIG_PROTECT_MASK", ""),
                envd.getOrDefault("CONFIG_PROTECT_MASK", ""));
        // PKG_INSTALL_MASK applies when binary packages are made, not when they are merged (as in Portage)
        String mask = config.getOrDefault("INSTALL_MASK", "");
        Set<String> features = Set.of(config.getOrDefault("FEATURES", "").trim().split("\\s+"));
        return new MergeOptions(root, protect, protectMask, InstallMask.parse(mask, sets),
                features.contains("config-protect-if-modified"), false, true, null, false, true, null);
    }

    private static String join(String a, String b) {
        return (a + " " + b).trim();
    }

    public MergeOptions withInstallMask(InstallMask m) {
        return new MergeOptions(root, configProtect, configProtectMask, m, protectIfModified, oneshot, noPhases,
                phaseRunner, unprivileged, sync, posix, buildDir, sourceDateEpoch);
    }

    public MergeOptions withUnprivileged(boolean u) {
        return new MergeOptions(root, configProtect, configProtectMask, installMask, protectIfModified, oneshot,
                noPhases, phaseRunner, u, sync, posix, buildDir, sourceDateEpoch);
    }

    public MergeOptions withOneshot(boolean o) {
        return new MergeOptions(root, configProtect, configProtectMask, installMask, protectIfModified, o, noPhases,
                phaseRunner, unprivileged, sync, posix, buildDir, sourceDateEpoch);
    }

    public MergeOptions withSync(boolean s) {
        return new MergeOptions(root, configProtect, configProtectMask, installMask, protectIfModified, oneshot,
                noPhases, phaseRunner, unprivileged, s, posix, buildDir, sourceDateEpoch);
    }

    /** {@code noPhases}: skip (and list) phases; otherwise {@code runner} runs them (null also lists them as skipped). */
    public MergeOptions withPhases(boolean noPhases, PhaseRunner runner) {
        return new MergeOptions(root, configProtect, configProtectMask, installMask, protectIfModified, oneshot,
                noPhases, runner, unprivileged, sync, posix, buildDir, sourceDateEpoch);
    }

    /** Extract images for pkg_preinst under {@code dir} (kept; null: a temporary directory). */
    public MergeOptions withBuildDir(Path dir) {
        return new MergeOptions(root, configProtect, configProtectMask, installMask, protectIfModified, oneshot,
                noPhases, phaseRunner, unprivileged, sync, posix, dir, sourceDateEpoch);
    }

    /** Accounts are dated {@code epoch} (SOURCE_DATE_EPOCH) when not in the future; empty: the clock. */
    public MergeOptions withSourceDateEpoch(java.util.OptionalLong epoch) {
        return new MergeOptions(root, configProtect, configProtectMask, installMask, protectIfModified, oneshot,
                noPhases, phaseRunner, unprivileged, sync, posix, buildDir, epoch);
    }

    /** "Now" for account creation, in seconds since 1970. */
    public long accountsNow() {
        return org.stageforge.util.SourceDateEpoch.shadowNow(sourceDateEpoch, System.currentTimeMillis() / 1000);
    }

    /** Whether owners, special modes, devices and xattrs are also materialized on disk. */
    public boolean materialize() {
        return !unprivileged && posix.privileged();
    }
}

package org.stageforge.controller;

import org.stageforge.image.RootImage;
import org.stageforge.spec.StageSpec;

/**
 * What {@code [controller]} of a spec puts into a root: the controller's {@code config.d} file and, for
 * {@code mode = "sysupdate"}, the systemd-sysupdate transfer file. Also what an initramfs builder embeds.
 */
public final class ControllerConfig {
    /** Where the root gets the spec's keyring (a binary keyring, as gpgv reads it). */
    public static final String KEYRING = "/etc/stageforge/keyring.gpg";
    /** The controller's configuration directory (read by its OpenRC service and systemd units). */
    public static final String CONFIG_D = "/etc/stageforge/config.d";
    /** The transfer file of {@code mode = "sysupdate"}: {@code .conf}, which systemd 254 reads (and newer ones still do, beside {@code .transfer}). */
    public static final String TRANSFER = "/usr/lib/sysupdate.d/50-stageforge-root.conf";
    /** The keyring systemd-pull verifies SHA256SUMS.gpg with. */
    public static final String SYSUPDATE_KEYRING = "/etc/systemd/import-pubring.gpg";

    private ControllerConfig() {}

    /**
     * The controller's {@code config.d/50-spec.conf} for {@code [controller]}: server, channel, keyring (at
     * {@link #KEYRING}) and release source. The machine's slots, state directory, id and token come from other
     * {@code config.d} files (the disk image's, the machine's).
     */
    public static String configD(StageSpec.Controller c) {
        return "# written by stageforge from the spec's [controller]\n"
                + "server = " + c.server() + "\n"
                + "channel = " + c.channel() + "\n"
                + "keyring = " + KEYRING + "\n"
                + "release_source = " + c.releaseSource() + "\n";
    }

    /**
     * The systemd-sysupdate transfer for the spec's root image: {@code SERVER/releases/CHANNEL/} files named as
     * {@link RootImage#fileName} names them (version {@code @v}), verified ({@code Verify=yes}), written into a
     * partition whose label carries the version, or as files into {@code sysupdate_target}.
     */
    public static String transfer(StageSpec spec) {
        StageSpec.Controller c = spec.controller();
        RootImage.Format format = spec.output().formats().stream().map(RootImage.Format::of)
                .filter(f -> f != null).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no root image format in [output] formats"));
        String file = RootImage.fileName(spec.name(), "@v", format);
        String target = c.sysupdateTarget().equals("partition")
                ? "Type=partition\nPath=auto\nMatchPattern=" + spec.name() + "_@v\nMatchPartitionType=root\nReadOnly=1\n"
                : "Type=regular-file\nPath=" + c.sysupdateTarget() + "\nMatchPattern=" + file + "\n";
        return "# written by stageforge from the spec's [controller]\n"
                + "[Transfer]\nVerify=yes\n\n"
                + "[Source]\nType=url-file\nPath=" + c.server() + "/releases/" + c.channel() + "/\nMatchPattern=" + file + "\n\n"
                + "[Target]\n" + target;
    }
}

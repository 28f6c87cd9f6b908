package org.stageforge.image;

import java.util.Map;
import java.util.TreeMap;

/**
 * systemd-boot's configuration for an A/B disk (Boot Loader Specification type #1 entries): one entry per filled
 * slot, {@code NAME-a.conf} and {@code NAME-b+TRIES.conf} (boot counting: systemd-boot renames it to
 * {@code +LEFT-DONE} on every try; an entry with no tries left sorts last), and {@code loader.conf} whose
 * {@code default NAME-a*} boots slot A. Switching to B is {@code default NAME-*}: entries sort by id, newest
 * (b) first, so B boots while it has tries left and A again once they are used up without a blessing.
 */
public final class BootEntries {
    private BootEntries() {}

    /**
     * The ESP files (path under the ESP → content) for kernel {@code version} with the kernel and initramfs at
     * {@code /NAME/vmlinuz-VERSION} and {@code /NAME/initramfs-VERSION.img}; {@code partUuidB} null: slot B empty.
     */
    public static Map<String, String> files(String name, String stageVersion, String version, boolean initramfs,
                                            String partUuidA, String partUuidB, int tries, String cmdline) {
        Map<String, String> f = new TreeMap<>();
        f.put("loader/loader.conf", "default " + name + "-a*\ntimeout 0\neditor no\n");
        f.put("loader/entries/" + name + "-a.conf", entry(name, stageVersion, version, initramfs, partUuidA, "A", cmdline));
        if (partUuidB != null) {
            f.put("loader/entries/" + name + "-b" + (tries > 0 ? "+" + tries : "") + ".conf",
                    entry(name, stageVersion, version, initramfs, partUuidB, "B", cmdline));
        }
        return f;
    }

    private static String entry(String name, String stageVersion, String version, boolean initramfs, String partUuid,
                                String slot, String cmdline) {
        return "title " + name + " " + stageVersion + " (slot " + slot + ")\n"
                + "version " + stageVersion + "\n"
                + "linux /" + name + "/vmlinuz-" + version + "\n"
                + (initramfs ? "initrd /" + name + "/initramfs-" + version + ".img\n" : "")
                + "options root=PARTUUID=" + partUuid + " ro rootwait" + (cmdline.isBlank() ? "" : " " + cmdline.strip()) + "\n";
    }
}

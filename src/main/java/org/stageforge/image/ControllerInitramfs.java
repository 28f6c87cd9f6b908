package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.controller.ControllerFiles;
import org.stageforge.spec.StageSpec;
import org.stageforge.util.Dirs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The update controller as stageforge's own initramfs ({@code [kernel] initramfs_controller = true}): the
 * controller of this stageforge ({@link ControllerFiles}) as {@code /usr/bin/stageforge-controller} and
 * {@code /usr/lib/stageforge-controller/}, busybox (and gpgv, the keyring, {@code /etc/stageforge}) from the root,
 * a {@code /config.d/00-stageforge.conf} from the spec, and an {@code /init} that mounts the API file systems,
 * loads the modules, links {@code /dev/disk/by-partlabel/} (no udev here) and runs
 * {@code stageforge-controller --config /config.d boot --initramfs}, which mounts the chosen slot and switches root.
 */
public final class ControllerInitramfs {
    static final String BUSYBOX = "/bin/busybox";
    static final String GPGV = "/usr/bin/gpgv";

    /** The members stageforge writes itself, and the root's files to take. */
    public record Parts(Map<String, Initramfs.Extra> extra, List<String> files) {}

    private ControllerInitramfs() {}

    public static Parts parts(Path root, StageSpec.InitramfsController c, StageSpec.Disk disk, Path work) throws IOException {
        List<String> programs = new ArrayList<>();
        need(root, BUSYBOX, "the controller's initramfs runs on busybox (merge sys-apps/busybox with USE=static)");
        programs.add(BUSYBOX);
        if (exists(root, GPGV)) programs.add(GPGV);
        else if (c.server() != null) need(root, GPGV, "the controller checks SHA256SUMS.gpg with gpgv (merge app-crypt/gnupg)");
        // a dynamically linked gpgv (or busybox) brings its loader and libraries
        List<String> files = new ArrayList<>(ElfDeps.closure(root, programs));
        if (c.keyring() != null) {
            need(root, c.keyring(), "controller_keyring");
            files.add(c.keyring());
        }
        if (exists(root, "/etc/stageforge")) files.add("/etc/stageforge");
        Map<String, Initramfs.Extra> extra = new TreeMap<>();
        Path dir = Files.createTempDirectory(work, ".controller-");
        try {
            for (Path f : ControllerFiles.export(dir)) {
                String rel = dir.relativize(f).toString();
                if (rel.equals("stageforge-controller")) extra.put("usr/bin/stageforge-controller", new Initramfs.Extra(0755, Files.readAllBytes(f)));
                else if (rel.startsWith("lib/")) {
                    // the udhcpc event script is run, the rest sourced
                    extra.put("usr/lib/stageforge-controller/" + rel.substring(4), new Initramfs.Extra(Files.isExecutable(f) ? 0755 : 0644, Files.readAllBytes(f)));
                }
            }
        } finally {
            Dirs.deleteTree(dir);
        }
        extra.put("config.d/00-stageforge.conf", new Initramfs.Extra(0644, config(c, disk).getBytes(StandardCharsets.UTF_8)));
        if (exists(root, "/etc/stageforge/config.d")) {
            // the root's own configuration (what the dracut module takes too) comes after the spec's and wins
            try (var s = Files.list(root.resolve("etc/stageforge/config.d"))) {
                for (Path f : s.sorted().toList()) {
                    String n = f.getFileName().toString();
                    if (n.endsWith(".conf") && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        extra.put("config.d/50-" + n, new Initramfs.Extra(0644, Files.readAllBytes(f)));
                    }
                }
            }
        }
        extra.put("init", new Initramfs.Extra(0755, init(disk).getBytes(StandardCharsets.UTF_8)));
        return new Parts(extra, files);
    }

    /** The controller's configuration from the spec: the disk's slots and state partition by GPT name. */
    static String config(StageSpec.InitramfsController c, StageSpec.Disk d) {
        StringBuilder sb = new StringBuilder("# written by stageforge from the spec ([kernel] controller_*, [output.disk] labels)\n");
        if (c.server() != null) sb.append("server = ").append(c.server()).append("\nchannel = ").append(c.channel()).append('\n');
        if (c.keyring() != null) sb.append("keyring = ").append(c.keyring()).append('\n');
        sb.append("slot_a = /dev/disk/by-partlabel/").append(d.rootLabelA()).append('\n');
        sb.append("slot_b = /dev/disk/by-partlabel/").append(d.rootLabelB()).append('\n');
        sb.append("state_device = /dev/disk/by-partlabel/").append(d.stateLabel()).append('\n');
        sb.append("state_dir = /run/stageforge/state\n");
        // nothing else brings the network up before the controller asks the server
        sb.append("network = dhcp\n");
        return sb.toString();
    }

    static String init(StageSpec.Disk d) {
        return """
                #!/bin/busybox sh
                # stageforge's initramfs: the update controller picks, updates and mounts the root slot
                /bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /run /sysroot
                /bin/busybox --install -s
                export PATH=/usr/sbin:/usr/bin:/sbin:/bin
                mount -t proc proc /proc
                mount -t sysfs sys /sys
                mount -t devtmpfs dev /dev
                mount -t tmpfs -o mode=0755 run /run
                v=$(uname -r)
                if [ -f "/lib/modules/$v/initramfs.modules" ]; then
                  while read -r m; do insmod "/lib/modules/$v/$m"; done < "/lib/modules/$v/initramfs.modules"
                fi
                # no udev: link /dev/disk/by-partlabel/NAME from the GPT entries (LBA 2, 128 bytes each, UTF-16 name at 56)
                partlabels() {
                  mkdir -p /dev/disk/by-partlabel
                  for p in /sys/class/block/*; do
                    [ -e "$p/partition" ] || continue
                    n=$(cat "$p/partition")
                    d=$(basename "$(readlink -f "$p/..")")
                    name=$(dd if="/dev/$d" bs=1 skip=$((1024 + 128 * (n - 1) + 56)) count=72 2>/dev/null | tr -d '\\000')
                    [ -n "$name" ] && ln -sf "/dev/${p##*/}" "/dev/disk/by-partlabel/$name"
                  done
                }
                i=0
                while partlabels; [ ! -e /dev/disk/by-partlabel/%s ] && [ $i -lt 30 ]; do i=$((i + 1)); sleep 1; done
                # switch_root needs PID 1; on a failure the controller starts a shell on the console itself
                exec stageforge-controller --config /config.d boot --initramfs
                """.formatted(d.rootLabelA());
    }

    private static boolean exists(Path root, String abs) {
        return Files.exists(root.resolve(abs.substring(1)), LinkOption.NOFOLLOW_LINKS);
    }

    private static void need(Path root, String abs, String why) {
        if (!exists(root, abs)) {
            throw new StageforgeException(root + ": initramfs_controller: " + abs + " is not in the root (" + why + ")", ExitCodes.BAD_INPUT, null);
        }
    }
}

package org.stageforge.pipeline;

import org.stageforge.testutil.DebianMirror;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the tests that really boot a stage share: Debian .debs fetched once into {@code target/boot-debs} with
 * {@code apt-get download}, unpacked into package source trees as {@code stageforge pkg create} / the spec's
 * {@code [[binhost]] sources} take them (busybox-static, a trimmed linux-image-amd64 as a stand-in for a Gentoo
 * kernel package, systemd-boot-efi), a minimal repository, and QEMU with OVMF run to power-off with the serial
 * console kept in a file.
 */
final class BootPackages {
    static final Path DEBS = Path.of("target/boot-debs").toAbsolutePath();
    /** The modules a virtio disk with an erofs root needs (paths under lib/modules/VERSION). */
    static final List<String> DISK_MODULES = List.of("kernel/drivers/virtio", "kernel/drivers/block/virtio_blk.ko",
            "kernel/fs/erofs", "kernel/lib/libcrc32c.ko", "kernel/crypto/crc32c_generic.ko");

    private static String fetchFailed;

    /** What the busybox root's init prints first on the serial console. */
    static final String MARKER = "STAGEFORGE-BOOTED";

    private BootPackages() {}

    /** The first of {@code tools} that is not installed, with the hint where CI gets it; null when all are there. */
    static String missing(List<String> tools) {
        for (String t : tools) if (!onPath(t)) return t + " not installed (see .ci/run)";
        return null;
    }

    /**
     * Downloads {@code packages} into {@link #DEBS} unless {@code marker} says it was done; returns null, or why
     * the test must be skipped (no network or no Debian sources).
     */
    static synchronized String fetch(String marker, List<String> packages) throws Exception {
        Files.createDirectories(DEBS);
        if (Files.exists(DEBS.resolve(marker))) return null;
        // without a network apt-get takes minutes to give up: the boot test classes after the first skip at once
        if (fetchFailed != null) return fetchFailed;
        String offline = DebianMirror.unreachable();
        if (offline != null) return "apt-get download cannot fetch " + packages + ": " + offline;
        try {
            List<String> cmd = new ArrayList<>(List.of("apt-get", "download"));
            cmd.addAll(packages);
            run(cmd, DEBS, 600);
            if (packages.contains("linux-image-amd64")) {
                // the metapackage names the kernel package of the day
                String dep = run(List.of("dpkg-deb", "-f", find(DEBS, "linux-image-amd64_").toString(), "Depends"), 60).strip();
                run(List.of("apt-get", "download", dep.substring(0, dep.indexOf(' '))), DEBS, 600);
            }
        } catch (AssertionError | IOException e) {
            fetchFailed = "apt-get download failed (no network or no Debian sources): " + e.getMessage();
            return fetchFailed;
        }
        Files.writeString(DEBS.resolve(marker), "");
        return null;
    }

    /**
     * The kernel package {@code sys-kernel/debian-kernel-1.0} under {@code sources}: the image, the module lists and
     * the modules {@code modules} names (files or directories under lib/modules/VERSION); returns the kernel version.
     */
    static String kernel(Path sources, Path work, List<String> modules) throws Exception {
        Path k = unpack(find(DEBS, "linux-image-6"), work.resolve("kernel-full"));
        String kver;
        try (var s = Files.list(k.resolve("lib/modules"))) {
            kver = s.findFirst().orElseThrow().getFileName().toString();
        }
        Path ki = sources.resolve("sys-kernel/debian-kernel-1.0/image");
        copyTree(k.resolve("boot"), ki.resolve("boot"));
        String mods = "lib/modules/" + kver;
        List<String> files = new ArrayList<>(List.of("modules.builtin", "modules.order"));
        files.addAll(modules);
        for (String f : files) copyTree(k.resolve(mods + "/" + f), ki.resolve(mods + "/" + f));
        meta(sources.resolve("sys-kernel/debian-kernel-1.0/metadata"), "sys-kernel", "debian-kernel-1.0", "");
        return kver;
    }

    /**
     * {@code sys-apps/busybox-boot-1.0}: Debian's busybox-static, an {@code /sbin/init} printing {@link #MARKER} and the
     * kernel command line, then powering off, and {@code /usr/lib/bootme/initramfs-init} (an initramfs init finding
     * the {@code root=PARTUUID=} partition and switching to its erofs).
     */
    static void busybox(Path sources) throws Exception {
        Path bb = unpack(find(DEBS, "busybox-static_"), sources.resolve("sys-apps/busybox-boot-1.0/image"));
        // the root's init and the initramfs init (the [kernel] initramfs_init), both busybox scripts
        Files.createDirectories(bb.resolve("usr/lib/bootme"));
        for (String dir : List.of("dev", "proc", "sys", "newroot")) Files.writeString(Files.createDirectories(bb.resolve(dir)).resolve(".keep"), "");
        Files.createSymbolicLink(bb.resolve("bin/sh"), Path.of("busybox"));
        script(bb.resolve("sbin/init"), """
                #!/bin/sh
                /bin/busybox mount -t proc proc /proc
                echo "%s $(/bin/busybox cat /proc/cmdline)"
                /bin/busybox poweroff -f
                """.formatted(MARKER));
        script(bb.resolve("usr/lib/bootme/initramfs-init"), """
                #!/bin/sh
                /bin/busybox --install -s /bin
                export PATH=/bin
                mkdir -p /proc /sys /dev /newroot
                mount -t proc proc /proc
                mount -t sysfs sys /sys
                mount -t devtmpfs dev /dev
                v=$(uname -r)
                for m in $(cat /lib/modules/$v/initramfs.modules); do insmod /lib/modules/$v/$m; done
                want=
                for a in $(cat /proc/cmdline); do case $a in root=PARTUUID=*) want=${a#root=PARTUUID=};; esac; done
                # the kernel's uevents carry no PARTUUID: read the GPT's entries (LBA 2, 128 bytes each, GUID at 16)
                dev=
                for disk in /sys/block/*; do
                  d=${disk##*/}
                  for p in /sys/block/$d/$d*; do
                    [ -e $p/partition ] || continue
                    n=$(cat $p/partition)
                    g=$(dd if=/dev/$d bs=16 skip=$((57 + 8 * n)) count=1 2>/dev/null | hexdump -e '1/4 "%08x" "-" 1/2 "%04x" "-" 1/2 "%04x" "-" 2/1 "%02x" "-" 6/1 "%02x"')
                    [ "$g" = "$want" ] && dev=${p##*/}
                  done
                done
                mount -t erofs -o ro /dev/$dev /newroot || { echo "cannot mount root $want"; poweroff -f; }
                umount /proc /sys
                mount --move /dev /newroot/dev
                exec switch_root /newroot /sbin/init
                """);
        meta(sources.resolve("sys-apps/busybox-boot-1.0/metadata"), "sys-apps", "busybox-boot-1.0", "");
    }

    /** The package {@code sys-boot/systemd-boot-efi-1.0}: the boot loader the disk's ESP gets. */
    static void systemdBoot(Path sources) throws Exception {
        Path sd = unpack(find(DEBS, "systemd-boot-efi_"), sources.resolve("sys-boot/systemd-boot-efi-1.0/image"));
        assertThat(sd.resolve("usr/lib/systemd/boot/efi/systemd-bootx64.efi")).isRegularFile();
        meta(sources.resolve("sys-boot/systemd-boot-efi-1.0/metadata"), "sys-boot", "systemd-boot-efi-1.0", "");
    }

    static void script(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        p.toFile().setExecutable(true, false);
    }

    static Path unpack(Path deb, Path dir) throws Exception {
        Files.createDirectories(dir);
        run(List.of("dpkg-deb", "-x", deb.toString(), dir.toString()), 600);
        return dir;
    }

    static void copyTree(Path src, Path dst) throws IOException {
        try (var s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isSymbolicLink(p)) {
                    Files.createDirectories(t.getParent());
                    Files.createSymbolicLink(t, Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.createDirectories(t.getParent());
                    Files.copy(p, t);
                }
            }
        }
    }

    static void meta(Path dir, String cat, String pf, String rdepend) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> m = Map.of("CATEGORY", cat, "PF", pf, "SLOT", "0", "EAPI", "8", "KEYWORDS", "amd64",
                "LICENSE", "GPL-2", "RDEPEND", rdepend, "BUILD_TIME", "1700000000", "repository", "gentoo", "USE", "amd64");
        for (var e : m.entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue() + "\n");
    }

    static void writeRepo(Path repo) throws IOException {
        TestStage.write(repo.resolve("profiles/repo_name"), "gentoo\n");
        TestStage.write(repo.resolve("metadata/layout.conf"), "masters =\nprofile-formats = portage-2\n");
        TestStage.write(repo.resolve("profiles/license_groups"), "FREE GPL-2\n");
        TestStage.write(repo.resolve("profiles/test/eapi"), "8\n");
        TestStage.write(repo.resolve("profiles/test/make.defaults"), "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"amd64\"\nACCEPT_LICENSE=\"@FREE\"\n");
    }

    static Path find(Path dir, String prefix) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".deb")).sorted()
                    .findFirst().orElseThrow(() -> new IOException("no " + prefix + "*.deb in " + dir));
        }
    }

    static String tool(String name) {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) if (Files.isExecutable(Path.of(d, name))) return d + "/" + name;
        return name;
    }

    static boolean onPath(String name) {
        return !tool(name).equals(name);
    }

    static String run(List<String> cmd, long timeoutSeconds) throws Exception {
        return run(cmd, null, timeoutSeconds);
    }

    static String run(List<String> cmd, Path dir, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("stageforge-run", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        if (dir != null) pb.directory(dir.toFile());
        pb.environment().put("MTOOLS_SKIP_CHECK", "1");
        Process p = pb.start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly().waitFor();
        String s = Files.readString(log, StandardCharsets.ISO_8859_1);
        Files.delete(log);
        if (!done) throw new AssertionError(cmd.get(0) + " timed out after " + timeoutSeconds + "s");
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + s);
        return s;
    }

    static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0; ) md.update(b, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** GPT partition name to PARTUUID (lower case) of a disk image. */
    static Map<String, String> partUuids(Path d) throws Exception {
        Map<String, String> m = new java.util.HashMap<>();
        for (String l : run(List.of(tool("sfdisk"), "--dump", d.toString()), 60).split("\n")) {
            var u = java.util.regex.Pattern.compile("uuid=([0-9A-Fa-f-]+).*name=\"([^\"]+)\"").matcher(l);
            if (u.find()) m.put(u.group(2), u.group(1).toLowerCase(java.util.Locale.ROOT));
        }
        return m;
    }

    /** The tools a boot stage's disk needs, with what fetches the packages. */
    static final List<String> DISK_TOOLS = List.of("apt-get", "dpkg-deb", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "sfdisk");

    /**
     * Why the boot stage cannot be built here (a tool missing, the .debs not fetched), or null once the packages
     * {@link #prepare} needs are in {@link #DEBS}.
     */
    static String stageMissing() throws Exception {
        String reason = missing(DISK_TOOLS);
        return reason != null ? reason : fetch("done", List.of("busybox-static", "linux-image-amd64", "systemd-boot-efi"));
    }

    /** Writes the package sources ({@code work/packages}) and the repository ({@code work/repo}) {@link #spec} names; returns the kernel version. */
    static String prepare(Path work) throws Exception {
        Path sources = work.resolve("packages");
        busybox(sources);
        String kver = kernel(sources, work, DISK_MODULES);
        systemdBoot(sources);
        writeRepo(work.resolve("repo"));
        return kver;
    }

    /**
     * The boot stage's spec (paths relative to the work directory): the three packages, the initramfs stageforge
     * writes with the busybox init, erofs slots A and B filled, one boot-counting try; {@code kernel} is added to
     * its {@code [kernel]} section.
     */
    static String spec(String kernel) {
        return """
                profile = "test"
                world = ["sys-apps/busybox-boot", "sys-kernel/debian-kernel", "sys-boot/systemd-boot-efi"]
                system = false
                phases = false

                [stage]
                name = "bootme"
                version = "1.0"

                [repo]
                path = "repo"

                [[binhost]]
                sources = "packages"

                [kernel]
                package = "sys-kernel/debian-kernel"
                initramfs_init = "/usr/lib/bootme/initramfs-init"
                initramfs_files = ["/bin"]
                initramfs_modules = ["virtio_pci", "virtio_blk", "crc32c_generic", "erofs"]
                %s

                [output]
                formats = ["erofs", "disk"]

                [output.disk]
                root_size = 64
                state_size = 16
                esp_size = 64
                slot_b = "filled"
                root_fs = "erofs"
                tries = 1
                cmdline = "console=ttyS0 panic=-1 loglevel=4 no_timer_check"
                """.formatted(kernel);
    }

    /** Boots disk {@code d} once without a NIC (console in {@code work/serial-N.log}); returns the console from {@link #MARKER} on. */
    static String boot(Path work, Path d, Path vars, String n) throws Exception {
        String out = new Qemu(false).boot(d, vars, work.resolve("serial-" + n + ".log"), 300);
        assertThat(out).as("serial console of boot " + n).contains(MARKER);
        return out.substring(out.indexOf(MARKER));
    }

    /** Whether QEMU and OVMF are there (null) or why not. */
    static String qemuMissing() {
        if (!onPath("qemu-system-x86_64")) return "qemu-system-x86 not installed";
        if (!Files.isRegularFile(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd"))) return "ovmf not installed";
        return null;
    }

    /**
     * QEMU (q35, OVMF, 512 MiB) on a virtio disk, with KVM where /dev/kvm works, else TCG. {@code nic}: a virtio NIC
     * on user-mode networking (the host's loopback is 10.0.2.2 for the guest).
     */
    static final class Qemu {
        /** KVM where /dev/kvm works: null until the first boot (of any test) tried it. */
        private static Boolean kvm;
        private final boolean nic;

        Qemu(boolean nic) {
            this.nic = nic;
        }

        /** Boots until the guest powers off; returns the serial console (also kept in {@code log}). */
        String boot(Path disk, Path vars, Path log, long kvmTimeoutSeconds) throws Exception {
            synchronized (Qemu.class) {
                if (kvm == null) kvm = Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
            }
            if (kvm && !run(disk, vars, log, "kvm", kvmTimeoutSeconds)) {
                // some nested hosts offer /dev/kvm whose guests never run (the firmware prints nothing): use TCG
                kvm = false;
            }
            if (!kvm) assertThat(run(disk, vars, log, "tcg", kvmTimeoutSeconds * 5)).as("boot under TCG, serial console in " + log).isTrue();
            return Files.readString(log, StandardCharsets.ISO_8859_1);
        }

        /** Runs QEMU until it powers off (true) or, with KVM, until the firmware printed nothing in 30 s (false). */
        private boolean run(Path d, Path vars, Path log, String accel, long timeoutSeconds) throws Exception {
            Files.deleteIfExists(log);
            List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-machine", "q35,accel=" + accel,
                    "-m", "512", "-display", "none", "-serial", "file:" + log, "-monitor", "none", "-no-reboot",
                    "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                    "-drive", "if=pflash,format=raw,file=" + vars));
            if (nic) {
                // the disk is the only boot device: the firmware must not try a network boot first
                cmd.addAll(List.of("-drive", "file=" + d + ",format=raw,if=none,id=hd", "-device", "virtio-blk-pci,drive=hd,bootindex=0",
                        "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,romfile="));
            } else {
                cmd.addAll(List.of("-drive", "file=" + d + ",format=raw,if=virtio"));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.resolveSibling(log.getFileName() + ".qemu").toFile()).start();
            try {
                boolean silent = accel.equals("kvm") && !p.waitFor(30, TimeUnit.SECONDS) && (!Files.exists(log) || Files.size(log) == 0);
                if (silent) return false;
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    throw new AssertionError("QEMU (" + accel + ") timed out after " + timeoutSeconds + "s; serial console in " + log);
                }
                // a KVM that fails at once ("KVM internal error") ends QEMU before the firmware printed anything
                return !(accel.equals("kvm") && p.exitValue() != 0 && (!Files.exists(log) || Files.size(log) == 0));
            } finally {
                if (p.isAlive()) p.destroyForcibly().waitFor();
            }
        }
    }
}

package org.stageforge.pipeline;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stage that really boots, for the boot tests: packages made with {@code stageforge pkg create} (a spec's
 * {@code [[binhost]] sources}) from Debian's busybox-static, linux-image-amd64 (the kernel and the modules the
 * initramfs needs, a stand-in for a Gentoo kernel package) and systemd-boot-efi (systemd-boot and the EFI stub), the
 * spec building them into a GPT disk whose slots A and B hold the release's erofs root image, and QEMU with OVMF to
 * boot it to the marker the root's init prints on the serial console. The .deb files are fetched once into
 * {@code target/boot-debs} with {@code apt-get download}.
 */
final class BootStage {
    static final Path DEBS = Path.of("target/boot-debs").toAbsolutePath();
    static final String MARKER = "STAGEFORGE-BOOTED";

    private BootStage() {}

    /** Why a boot stage cannot be built here (a tool missing), or null. */
    static String missingTools() {
        for (String tool : List.of("apt-get", "dpkg-deb", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "sfdisk")) {
            if (!onPath(tool)) return tool + " not installed (see .ci/run)";
        }
        return null;
    }

    /**
     * Writes the package sources ({@code work/packages}) and the repository ({@code work/repo}) the spec names;
     * returns the kernel version. Aborts the test when the .debs cannot be fetched.
     */
    static String prepare(Path work) throws Exception {
        String kver = debianPackages(work, work.resolve("packages"));
        writeRepo(work.resolve("repo"));
        return kver;
    }

    /** The spec (relative to the work directory) with {@code kernel} added to its {@code [kernel]} section. */
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

    /** KVM where /dev/kvm works: null until the first boot tried it. */
    static Boolean kvm;

    /**
     * Boots the disk once (QEMU powers off when the root's init is done; its logs in {@code work}); returns the serial
     * console from the marker on.
     */
    static String boot(Path work, Path d, Path vars, String n) throws Exception {
        Path log = work.resolve("serial-" + n + ".log");
        if (kvm == null) kvm = Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
        if (kvm && !qemu(work, d, vars, log, "kvm", 300)) {
            // some nested hosts offer /dev/kvm whose guests never run (the firmware prints nothing): use TCG
            kvm = false;
        }
        if (!kvm) assertThat(qemu(work, d, vars, log, "tcg", 1500)).as("boot " + n + " under TCG").isTrue();
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertThat(out).as("serial console of boot " + n).contains(MARKER);
        return out.substring(out.indexOf(MARKER));
    }

    /** Runs QEMU until it powers off (true) or, with KVM, until the firmware printed nothing in 30 s (false). */
    static boolean qemu(Path work, Path d, Path vars, Path log, String accel, long timeoutSeconds) throws Exception {
        Files.deleteIfExists(log);
        List<String> cmd = List.of("qemu-system-x86_64", "-machine", "q35,accel=" + accel,
                "-m", "512", "-display", "none", "-serial", "file:" + log, "-monitor", "none", "-no-reboot",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + vars,
                "-drive", "file=" + d + ",format=raw,if=virtio");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("qemu.out").toFile()).start();
        try {
            if (accel.equals("kvm") && !p.waitFor(30, TimeUnit.SECONDS) && (!Files.exists(log) || Files.size(log) == 0)) return false;
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) throw new AssertionError("QEMU (" + accel + ") timed out after " + timeoutSeconds + "s");
            return true;
        } finally {
            if (p.isAlive()) p.destroyForcibly().waitFor();
        }
    }

    static Map<String, String> partUuids(Path d) throws Exception {
        Map<String, String> m = new java.util.HashMap<>();
        for (String l : run(List.of(tool("sfdisk"), "--dump", d.toString()), 60).split("\n")) {
            var u = java.util.regex.Pattern.compile("uuid=([0-9A-Fa-f-]+).*name=\"([^\"]+)\"").matcher(l);
            if (u.find()) m.put(u.group(2), u.group(1).toLowerCase(java.util.Locale.ROOT));
        }
        return m;
    }

    /** Fetches the .debs once and unpacks them into package source trees; returns the kernel version. */
    static String debianPackages(Path work, Path sources) throws Exception {
        Files.createDirectories(DEBS);
        if (!Files.exists(DEBS.resolve("done"))) {
            try {
                run(List.of("apt-get", "download", "busybox-static", "linux-image-amd64", "systemd-boot-efi"), DEBS, 600);
                Path meta = find(DEBS, "linux-image-amd64_");
                String dep = run(List.of("dpkg-deb", "-f", meta.toString(), "Depends"), 60).strip();
                run(List.of("apt-get", "download", dep.substring(0, dep.indexOf(' '))), DEBS, 600);
            } catch (AssertionError | IOException e) {
                Assumptions.abort("apt-get download failed (no network or no Debian sources): " + e.getMessage());
            }
            Files.writeString(DEBS.resolve("done"), "");
        }
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
        Path k = unpack(find(DEBS, "linux-image-6"), work.resolve("kernel-full"));
        String kver;
        try (var s = Files.list(k.resolve("lib/modules"))) {
            kver = s.findFirst().orElseThrow().getFileName().toString();
        }
        // a trimmed stand-in: the image, the module lists and the modules a virtio disk with an erofs root needs
        Path ki = sources.resolve("sys-kernel/debian-kernel-1.0/image");
        copyTree(k.resolve("boot"), ki.resolve("boot"));
        String mods = "lib/modules/" + kver;
        for (String f : List.of("modules.builtin", "modules.order", "kernel/drivers/virtio", "kernel/drivers/block/virtio_blk.ko",
                "kernel/fs/erofs", "kernel/lib/libcrc32c.ko", "kernel/crypto/crc32c_generic.ko")) {
            copyTree(k.resolve(mods + "/" + f), ki.resolve(mods + "/" + f));
        }
        meta(sources.resolve("sys-kernel/debian-kernel-1.0/metadata"), "sys-kernel", "debian-kernel-1.0", "");
        Path sd = unpack(find(DEBS, "systemd-boot-efi_"), sources.resolve("sys-boot/systemd-boot-efi-1.0/image"));
        assertThat(sd.resolve("usr/lib/systemd/boot/efi/systemd-bootx64.efi")).isRegularFile();
        meta(sources.resolve("sys-boot/systemd-boot-efi-1.0/metadata"), "sys-boot", "systemd-boot-efi-1.0", "");
        return kver;
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
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else {
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
}

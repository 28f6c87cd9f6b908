package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.spec.StageSpec;
import org.stageforge.util.Dirs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A bootable GPT disk image of a root, rootless (no loop device, no mount) and byte-reproducible: an ESP (FAT made by
 * {@code mkfs.vfat --invariant} with a fixed volume id, filled by mtools' {@code mcopy}) with systemd-boot from the
 * root, the kernel and initramfs of the root's {@code /boot} and an entry per slot ({@link BootEntries}); root slot A
 * (ext4 of the root, {@link Ext4Image}, or the release's erofs/squashfs {@link RootImage} byte for byte, so an A/B
 * client that writes a later release's image into a slot gets what a fresh disk has); slot B (the same, or left
 * empty); an empty writable state partition. The
 * partition table is written by {@code sfdisk} on the file; disk, partition and file system UUIDs are derived
 * from the stage's name and version, so two builds of a spec agree.
 */
public final class DiskImage {
    /** The GPT partition type of an x86-64 root (Discoverable Partitions Specification). */
    static final String ROOT_X86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";
    static final String ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    static final String LINUX_DATA = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    static final String SYSTEMD_BOOT = "usr/lib/systemd/boot/efi/systemd-bootx64.efi";
    private static final long MIB = 1 << 20;

    /** What was written: the partition UUIDs of the slots (B null when empty). */
    public record Result(String diskUuid, String partUuidA, String partUuidB) {}

    private DiskImage() {}

    /**
     * Writes the disk image {@code out}; {@code rootImage} is the release's root image of format
     * {@code d.rootFs()} when the build already wrote it (null: made here, with the same bytes); {@code uki}: each
     * slot boots a unified kernel image ({@code EFI/Linux/NAME-a.efi}, {@code NAME-b+TRIES.efi}, Boot Loader
     * Specification type #2, each with its slot's {@code root=}) instead of type #1 entries.
     */
    public static Result write(Path root, List<String> excludes, String name, String version, StageSpec.Disk d, long sde,
                               Path rootImage, boolean uki, Path out) throws IOException {
        Path boot = root.resolve("boot");
        String kv = kernelVersion(root, boot);
        Path sdboot = root.resolve(SYSTEMD_BOOT);
        if (!Files.isRegularFile(sdboot, LinkOption.NOFOLLOW_LINKS)) {
            throw new StageforgeException(root + ": disk image: no /" + SYSTEMD_BOOT + " in the root (merge systemd-boot / sys-boot/systemd-boot)",
                    ExitCodes.BAD_INPUT, null);
        }
        String seed = name + "\0" + version + "\0";
        String diskUuid = uuid(seed + "disk");
        String espUuid = uuid(seed + "esp");
        String aUuid = uuid(seed + "root-a");
        String bUuid = d.slotB().equals("filled") ? uuid(seed + "root-b") : null;
        String stateUuid = uuid(seed + "state");
        Path work = Files.createTempDirectory(out.toAbsolutePath().getParent(), ".disk-");
        try {
            Path esp = work.resolve("esp.img");
            espImage(root, boot, kv, sdboot, name, version, d, aUuid, bUuid, uuid(seed + "esp-volume").substring(0, 8), sde, uki, work, esp);
            Path a;
            Path b = null;
            RootImage.Format fs = RootImage.Format.of(d.rootFs());
            if (fs != null) {
                // a read-only image goes into both slots as is: its UUID is the release's, the slots differ by PARTUUID
                a = rootImage;
                if (a == null) {
                    a = work.resolve("root." + fs.id);
                    RootImage.write(root, a, fs, sde, RootImage.uuid(name + "_" + version), excludes);
                }
                long size = Files.size(a);
                if (size > d.rootMib() * MIB) {
                    throw new StageforgeException(out.getFileName() + ": the " + fs.id + " root image (" + (size + MIB - 1) / MIB
                            + " MiB) does not fit [output.disk] root_size = " + d.rootMib(), ExitCodes.BAD_INPUT, null);
                }
                if (bUuid != null) b = a;
            } else {
                a = work.resolve("a.img");
                Ext4Image.write(root, excludes, a, d.rootMib(), d.rootLabelA(), uuid(seed + "fs-a"), sde);
                if (bUuid != null) {
                    b = work.resolve("b.img");
                    Ext4Image.write(root, excludes, b, d.rootMib(), d.rootLabelB(), uuid(seed + "fs-b"), sde);
                }
            }
            Path state = work.resolve("state.img");
            Ext4Image.write(null, List.of(), state, d.stateMib(), d.stateLabel(), uuid(seed + "fs-state"), sde);

            long espStart = 1, aStart = espStart + d.espMib(), bStart = aStart + d.rootMib(), stateStart = bStart + d.rootMib();
            long total = stateStart + d.stateMib() + 1;
            Path tmp = work.resolve("disk.raw");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.truncate(0);
                ch.position(total * MIB - 1);
                ch.write(java.nio.ByteBuffer.wrap(new byte[1]));
            }
            String table = "label: gpt\nlabel-id: " + diskUuid + "\nunit: sectors\nfirst-lba: 2048\n"
                    + part(espStart, d.espMib(), ESP, espUuid, d.espLabel())
                    + part(aStart, d.rootMib(), ROOT_X86_64, aUuid, d.rootLabelA())
                    + part(bStart, d.rootMib(), ROOT_X86_64, bUuid != null ? bUuid : uuid(seed + "root-b"), d.rootLabelB())
                    + part(stateStart, d.stateMib(), LINUX_DATA, stateUuid, d.stateLabel());
            Tools.run(List.of("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", tmp.toString()), Map.of(), table);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                place(ch, esp, espStart);
                place(ch, a, aStart);
                if (b != null) place(ch, b, bStart);
                place(ch, state, stateStart);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Dirs.deleteTree(work);
        }
        return new Result(diskUuid, aUuid, bUuid);
    }

    /** {@code raw} converted to qcow2 by {@code qemu-img convert}. */
    public static void qcow2(Path raw, Path out) throws IOException {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            Tools.run(List.of("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), tmp.toString()), Map.of(), null);
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String part(long startMib, long sizeMib, String type, String uuid, String label) {
        return "start=" + startMib * 2048 + ", size=" + sizeMib * 2048 + ", type=" + type + ", uuid=" + uuid + ", name=\"" + label + "\"\n";
    }

    private static void place(FileChannel disk, Path img, long startMib) throws IOException {
        try (FileChannel in = FileChannel.open(img, StandardOpenOption.READ)) {
            long size = in.size();
            for (long done = 0; done < size; ) done += in.transferTo(done, size - done, disk.position(startMib * MIB + done));
        }
    }

    private static void espImage(Path root, Path boot, String kv, Path sdboot, String name, String version, StageSpec.Disk d,
                                 String aUuid, String bUuid, String volumeId, long sde, boolean uki, Path work, Path esp) throws IOException {
        Path tree = work.resolve("esp");
        Path initrd = boot.resolve("initramfs-" + kv + ".img");
        boolean hasInitrd = Files.isRegularFile(initrd, LinkOption.NOFOLLOW_LINKS);
        copy(sdboot, tree.resolve("EFI/BOOT/BOOTX64.EFI"));
        Map<String, String> files = BootEntries.files(name, version, kv, hasInitrd, aUuid, bUuid, d.tries(), d.cmdline());
        if (uki) {
            Files.createDirectories(tree.resolve("EFI/Linux"));
            for (var e : files.entrySet()) {
                String f = e.getKey();
                if (!f.startsWith("loader/entries/")) continue;
                String base = f.substring("loader/entries/".length(), f.length() - ".conf".length());
                String opts = e.getValue().lines().filter(l -> l.startsWith("options ")).findFirst().orElseThrow().substring(8);
                Uki.write(root, boot.resolve("vmlinuz-" + kv), hasInitrd ? initrd : null,
                        Uki.osRelease(name, version, base.startsWith(name + "-a") ? "A" : "B"), opts, tree.resolve("EFI/Linux/" + base + ".efi"));
            }
            files = Map.of("loader/loader.conf", files.get("loader/loader.conf"));
        } else {
            copy(boot.resolve("vmlinuz-" + kv), tree.resolve(name + "/vmlinuz-" + kv));
            if (hasInitrd) copy(initrd, tree.resolve(name + "/initramfs-" + kv + ".img"));
        }
        for (var e : files.entrySet()) {
            Path f = tree.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
        }
        FileTime t = FileTime.fromMillis(sde * 1000);
        List<String> top = new ArrayList<>();
        try (var s = Files.walk(tree)) {
            for (Path p : s.sorted().toList()) {
                Files.setLastModifiedTime(p, t);
                if (p.getParent() != null && p.getParent().equals(tree)) top.add(p.toString());
            }
        }
        Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", Long.toString(sde), "MTOOLS_SKIP_CHECK", "1");
        Tools.run(List.of("mkfs.vfat", "--invariant", "-i", volumeId, "-n", d.espLabel().toUpperCase(java.util.Locale.ROOT),
                "-C", esp.toString(), Long.toString(d.espMib() * 1024L)), env, null);
        List<String> cmd = new ArrayList<>(List.of("mcopy", "-s", "-m", "-Q", "-i", esp.toString()));
        cmd.addAll(top);
        cmd.add("::/");
        Tools.run(cmd, env, null);
    }

    private static void copy(Path src, Path dst) throws IOException {
        Files.createDirectories(dst.getParent());
        Files.copy(src, dst);
    }

    /** The one kernel in {@code /boot} (vmlinuz-VERSION), as the kernel part installed it. */
    static String kernelVersion(Path root, Path boot) throws IOException {
        List<String> v = new ArrayList<>();
        if (Files.isDirectory(boot, LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(boot)) {
                for (Path p : s.sorted().toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith("vmlinuz-") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) v.add(n.substring(8));
                }
            }
        }
        if (v.size() != 1) {
            throw new StageforgeException(root + ": disk image: expected one /boot/vmlinuz-VERSION (set [kernel]), found "
                    + (v.isEmpty() ? "none" : String.join(", ", v)), ExitCodes.BAD_INPUT, null);
        }
        return v.get(0);
    }

    /** A UUID (version 4 layout) from the SHA-256 of {@code seed}: stable for a spec, distinct per role. */
    static String uuid(String seed) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        h[6] = (byte) ((h[6] & 0x0f) | 0x40);
        h[8] = (byte) ((h[8] & 0x3f) | 0x80);
        String x = HexFormat.of().formatHex(h, 0, 16);
        return x.substring(0, 8) + "-" + x.substring(8, 12) + "-" + x.substring(12, 16) + "-" + x.substring(16, 20) + "-" + x.substring(20);
    }
}

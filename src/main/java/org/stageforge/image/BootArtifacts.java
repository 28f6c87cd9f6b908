package org.stageforge.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The boot files of a release for A/B clients, beside its root image and named like it for systemd-sysupdate
 * ({@code MatchPattern=NAME_@v.vmlinuz}, {@code NAME_@v.initrd}, or {@code NAME_@v.efi} for a unified kernel image):
 * copies of what the kernel part put in the root's {@code /boot}.
 */
public final class BootArtifacts {
    private BootArtifacts() {}

    /** The release file name {@code NAME_VERSION.SUFFIX}. */
    public static String fileName(String name, String version, String suffix) {
        return name + "_" + version + "." + suffix;
    }

    /**
     * Writes the kernel and initramfs of {@code root}'s {@code /boot} into {@code dir}, or with {@code ukiCmdline}
     * (null: none) one unified kernel image of both with that command line; returns the files written.
     */
    public static List<Path> write(Path root, String name, String version, long sde, String ukiCmdline, Path dir) throws IOException {
        Path boot = root.resolve("boot");
        String kv = DiskImage.kernelVersion(root, boot);
        List<Path> out = new ArrayList<>();
        if (ukiCmdline != null) {
            Path initrd = boot.resolve("initramfs-" + kv + ".img");
            Path efi = dir.resolve(fileName(name, version, "efi"));
            Path tmp = dir.resolve("." + efi.getFileName() + ".uki");
            Uki.write(root, boot.resolve("vmlinuz-" + kv), Files.isRegularFile(initrd, LinkOption.NOFOLLOW_LINKS) ? initrd : null,
                    Uki.osRelease(name, version, null), ukiCmdline, tmp);
            out.add(copy(tmp, efi, sde));
            Files.delete(tmp);
            return out;
        }
        out.add(copy(boot.resolve("vmlinuz-" + kv), dir.resolve(fileName(name, version, "vmlinuz")), sde));
        Path initrd = boot.resolve("initramfs-" + kv + ".img");
        if (Files.isRegularFile(initrd, LinkOption.NOFOLLOW_LINKS)) out.add(copy(initrd, dir.resolve(fileName(name, version, "initrd")), sde));
        return out;
    }

    private static Path copy(Path src, Path dst, long sde) throws IOException {
        Path tmp = dst.resolveSibling("." + dst.getFileName() + ".tmp");
        Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setLastModifiedTime(tmp, FileTime.fromMillis(sde * 1000));
        Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return dst;
    }
}

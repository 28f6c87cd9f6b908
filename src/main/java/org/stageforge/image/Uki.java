package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.util.Dirs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A unified kernel image: the root's systemd EFI stub ({@code linuxx64.efi.stub}, Debian {@code systemd-boot-efi},
 * Gentoo {@code sys-apps/systemd[boot]}/{@code systemd-boot}) with {@code .osrel}, {@code .cmdline}, {@code .linux}
 * and {@code .initrd} sections added by {@code objcopy}, as systemd's documentation for stubs before ukify does it
 * (bookworm has no ukify). The sections follow the stub's image at 64 KiB steps, the kernel at 32 MiB (systemd's
 * documented offset) or past the command line, the initramfs past the kernel at a 16 MiB step. objcopy (binutils
 * 2.40) stamps the PE header with the current time even under SOURCE_DATE_EPOCH: the stamp is set back to 0 (as
 * in the stub) and the header checksum computed again, so the same inputs give the same bytes.
 */
public final class Uki {
    /** Where the stub is in the root. */
    public static final String STUB = "usr/lib/systemd/boot/efi/linuxx64.efi.stub";

    private Uki() {}

    /** The {@code .osrel} section: systemd-boot's title and version for the entry (no ID, so entries sort by file name). */
    public static String osRelease(String name, String version, String slot) {
        return "NAME=\"" + name + "\"\nVERSION_ID=\"" + version + "\"\nPRETTY_NAME=\"" + name + " " + version
                + (slot == null ? "" : " (slot " + slot + ")") + "\"\n";
    }

    /** Writes {@code out} from the root's stub, {@code kernel}, {@code initrd} (null: none), os-release and command line. */
    public static void write(Path root, Path kernel, Path initrd, String osRelease, String cmdline, Path out) throws IOException {
        Path stub = root.resolve(STUB);
        if (!Files.isRegularFile(stub, LinkOption.NOFOLLOW_LINKS)) {
            throw new StageforgeException(root + ": [kernel] uki needs /" + STUB + " in the root (sys-apps/systemd-boot, Debian systemd-boot-efi)",
                    ExitCodes.BAD_INPUT, null);
        }
        Path work = Files.createTempDirectory(out.toAbsolutePath().getParent(), ".uki-");
        try {
            Path osrel = work.resolve("osrel");
            Path cmd = work.resolve("cmdline");
            Files.writeString(osrel, osRelease, StandardCharsets.UTF_8);
            Files.writeString(cmd, cmdline, StandardCharsets.UTF_8);
            long at = align(sizeOfImage(stub), 0x10000);
            List<String> c = new ArrayList<>(List.of("objcopy"));
            at = section(c, ".osrel", osrel, at, 0x10000);
            at = section(c, ".cmdline", cmd, at, 0x10000);
            at = section(c, ".linux", kernel, Math.max(0x2000000, align(at, 0x1000000)), 0x1000000);
            if (initrd != null) section(c, ".initrd", initrd, at, 0x1000000);
            Path tmp = work.resolve("uki.efi");
            c.addAll(List.of(stub.toString(), tmp.toString()));
            Tools.run(c, Map.of(), null);
            deterministic(tmp);
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Dirs.deleteTree(work);
        }
    }

    /** Adds {@code file} as section {@code name} at {@code vma}; returns where the next one may start. */
    private static long section(List<String> c, String name, Path file, long vma, long step) throws IOException {
        c.addAll(List.of("--add-section", name + "=" + file, "--change-section-vma", name + "=0x" + Long.toHexString(vma)));
        return align(vma + Files.size(file), step);
    }

    private static long align(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /** Sets the PE TimeDateStamp to 0 and the optional header's CheckSum to the PE checksum of the result. */
    static void deterministic(Path pe) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(pe.toFile(), "rw")) {
            f.seek(0x3c);
            long lfanew = Integer.toUnsignedLong(Integer.reverseBytes(f.readInt()));
            f.seek(lfanew + 8);
            f.writeInt(0);
            long sumAt = lfanew + 24 + 64;
            f.seek(sumAt);
            f.writeInt(0);
            // the PE checksum: 16-bit little-endian words added with carry folding, plus the file length
            long sum = 0;
            long len = f.length();
            f.seek(0);
            byte[] b = new byte[1 << 16];
            for (long pos = 0; pos < len; ) {
                int n = f.read(b);
                for (int i = 0; i < n; i += 2) {
                    sum += (b[i] & 0xff) | (i + 1 < n ? (b[i + 1] & 0xff) << 8 : 0);
                    sum = (sum & 0xffff) + (sum >>> 16);
                }
                pos += n;
            }
            sum = (sum & 0xffff) + (sum >>> 16);
            f.seek(sumAt);
            f.writeInt(Integer.reverseBytes((int) (sum + len)));
        }
    }

    /** The PE32+ optional header's SizeOfImage (the stub's extent in memory). */
    static long sizeOfImage(Path pe) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(pe.toFile(), "r")) {
            f.seek(0x3c);
            long lfanew = Integer.toUnsignedLong(Integer.reverseBytes(f.readInt()));
            f.seek(lfanew);
            if (Integer.reverseBytes(f.readInt()) != 0x00004550) throw new StageforgeException(pe + ": not a PE image", ExitCodes.BAD_INPUT, null);
            f.seek(lfanew + 24 + 56);
            return Integer.toUnsignedLong(Integer.reverseBytes(f.readInt()));
        }
    }
}

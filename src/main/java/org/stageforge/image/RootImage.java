package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.TarEntry;
import org.stageforge.merge.FileTable;
import org.stageforge.merge.PosixOps;
import org.stageforge.pack.RootScanner;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A root as a read-only filesystem image ({@link Format#SQUASHFS}, {@link Format#EROFS}) with exactly the paths and
 * attributes {@link org.stageforge.pack.Packer} puts in the tarball: the file table's owners, modes, device nodes,
 * fifos and xattrs (such as {@code security.capability}), never what the build user's disk shows.
 *
 * <p>Debian bookworm's {@code mksquashfs} 4.5.1 and {@code mkfs.erofs} 1.5 read only a directory (no tar input) and,
 * as a normal user, see the user's owners, placeholder files for devices and no capabilities. So the tool runs under
 * Debian's {@code fakeroot} with a state file ({@code fakeroot -i}) written from the {@link RootScanner} view: one
 * line per inode with its full mode (file type included, so a placeholder file is seen as the device), owner and
 * device number. fakeroot also fakes xattrs, hiding the disk's own: the file table's are set inside the same session
 * by {@code setfattr --restore} before the tool starts. As root, where a build leaves the disk exactly as the file
 * table says, the tool reads the root itself, started before the scan that checks that (see
 * {@link #write(Path, Path, Format, long, UUID, List, boolean)}): what fakeroot would show it is what the disk shows,
 * so a build as root and one as a normal user give the same bytes.
 *
 * <p>Reproducible: both tools sort directory entries themselves; given SOURCE_DATE_EPOCH in their environment both
 * (mksquashfs 4.5.1, mkfs.erofs 1.5) date the filesystem with it and clamp later mtimes to it, as the tarball does;
 * the erofs UUID is given. The image is written under a temporary name in
 * the output directory and renamed when complete.
 */
public final class RootImage {
    /** The image formats of {@code [output] formats}. */
    public enum Format {
        SQUASHFS("squashfs", "mksquashfs", "squashfs-tools"),
        EROFS("erofs", "mkfs.erofs", "erofs-utils");

        /** The {@code [output] formats} name, also the file suffix. */
        public final String id;
        final String tool;
        final String debianPackage;

        Format(String id, String tool, String debianPackage) {
            this.id = id;
            this.tool = tool;
            this.debianPackage = debianPackage;
        }

        /** The format named {@code id}, or null. */
        public static Format of(String id) {
            for (Format f : values()) if (f.id.equals(id)) return f;
            return null;
        }

        /** The tool's command line (without fakeroot) making {@code image} from {@code root}; a mutable list. */
        List<String> command(Path root, Path image, UUID uuid, Path excludes, List<String> excluded) {
            // SOURCE_DATE_EPOCH in the environment dates the filesystem and clamps mtimes (-T would not clamp)
            List<String> c = new ArrayList<>();
            c.add(tool);
            if (this == SQUASHFS) {
                c.addAll(List.of(root.toString(), image.toString(), "-noappend", "-no-progress", "-quiet",
                        "-comp", "zstd", "-ef", excludes.toString()));
            } else {
                c.addAll(List.of("--quiet", "-zlz4hc", "-U" + uuid));
                for (String e : excluded) c.add("--exclude-path=" + e);
                c.addAll(List.of(image.toString(), root.toString()));
            }
            return c;
        }
    }

    /**
     * What was written; {@code direct}: the tool read the root itself, without fakeroot, its disk already being what
     * the file table says.
     */
    public record Result(Path image, long entries, String sha256, boolean direct) {}

    private RootImage() {}

    /**
     * The file name of a root image of release {@code name}/{@code version}, as systemd-sysupdate patterns such as
     * {@code NAME_@v.root.erofs} match it.
     */
    public static String fileName(String name, String version, Format format) {
        return name + "_" + version + ".root." + format.id;
    }

    /** The erofs filesystem UUID of an image: fixed by its release ({@code NAME_VERSION}) or file name. */
    public static UUID uuid(String release) {
        return UUID.nameUUIDFromBytes(("stageforge root image " + release).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code output} from {@code root}, leaving out {@code excludes} (relative paths, with everything below
     * them), as the class comment describes.
     */
    public static Result write(Path root, Path output, Format format, long sourceDateEpoch, UUID uuid,
                               List<String> excludes) {
        return write(root, output, format, sourceDateEpoch, uuid, excludes, true);
    }

    /**
     * {@link #write(Path, Path, Format, long, UUID, List)}; {@code direct}: as root, start the tool on the root
     * itself at once, while the root is scanned, and keep its image when the disk shows every path as the file table
     * does (owners, modes, device numbers, xattrs: a root built as root), so that fakeroot would fake nothing: the
     * same bytes, without a JVM start and fakeroot's round trip per file before and during the tool's run. Else (and
     * at the first path that differs) the tool is stopped and run under fakeroot.
     */
    static Result write(Path root, Path output, Format format, long sourceDateEpoch, UUID uuid, List<String> excludes,
                        boolean direct) {
        Path base = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(base)) throw new StageforgeException(root + ": not a directory", ExitCodes.NOT_FOUND, null);
        if (sourceDateEpoch < 0 || sourceDateEpoch > 0xffffffffL) {
            throw new StageforgeException(format.id + " image: SOURCE_DATE_EPOCH " + sourceDateEpoch
                    + " does not fit the filesystem's 32-bit times", ExitCodes.BAD_INPUT, null);
        }
        Path tool = Tools.find(format.tool, format.debianPackage, format.id + " image");
        Path fakeroot = Tools.find("fakeroot", "fakeroot", format.id + " image");
        Path out = output.toAbsolutePath();
        Path dir = out.getParent();
        Path work = null;
        Path tmp = null;
        Tools.Running guess = null;
        try {
            Files.createDirectories(dir);
            work = Files.createTempDirectory(dir, "." + out.getFileName() + ".");
            tmp = work.resolve("image");
            Path ef = work.resolve("excludes");
            Files.write(ef, excludes, StandardCharsets.UTF_8);
            Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", Long.toString(sourceDateEpoch));
            List<String> run = format.command(base, tmp, uuid, ef, excludes);
            run.set(0, tool.toString());
            if (direct && new com.sun.security.auth.module.UnixSystem().getUid() == 0) {
                guess = Tools.start(run, base, env, format.tool, out);
            }
            View v;
            try (Yield y = Yield.lowerAll(guess != null)) {
                v = view(base, excludes, work, guess);
                if (v.direct) {
                    // load libcrypto for the image's digest while the tool still runs
                    org.stageforge.util.Hashes.nativeAvailable();
                    guess.await();
                }
            }
            if (!v.direct) {
                Files.deleteIfExists(tmp);
                List<String> cmd = new ArrayList<>(List.of(fakeroot.toString(), "-i", v.state.toString(), "--"));
                if (v.xattrs) {
                    Path setfattr = Tools.find("setfattr", "attr", format.id + " image of a root with xattrs");
                    // one fakeroot session: the xattrs set here are what the tool then reads
                    cmd.addAll(List.of("/bin/sh", "-c", "\"$0\" -h --restore=\"$1\" && shift && exec \"$@\"",
                            setfattr.toString(), v.xattrFile.toString()));
                }
                cmd.addAll(run);
                Tools.run(cmd, base, env, format.tool, out);
            }
            guess = null;
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            String sha = org.stageforge.util.Hashes.ofFile(tmp, "SHA-256");
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Result(out, v.entries, sha, v.direct);
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + output + ": " + org.stageforge.util.IoErrors.reason(output, e), e);
        } finally {
            try {
                if (guess != null) guess.stop();
                org.stageforge.util.Dirs.deleteTree(work);
            } catch (IOException ignored) {
                // the original error matters more; a leftover dot-directory is harmless
            }
        }
    }

    /**
     * The fakeroot state file and the setfattr dump describing the root; {@code xattrs}: any xattr at all;
     * {@code direct}: the disk showed every path as they do.
     */
    private record View(Path state, Path xattrFile, boolean xattrs, long entries, boolean direct) {}

    /** Writes the view of the root; with {@code guess}, compares the disk with it, stopping the guess at a difference. */
    private static View view(Path base, List<String> excludes, Path work, Tools.Running guess) throws IOException {
        Path state = work.resolve("fakeroot.state");
        Path xf = work.resolve("xattrs");
        boolean[] any = {false};
        boolean[] same = {guess != null};
        PosixOps posix = guess == null ? null : PosixOps.system();
        long n;
        try (BufferedWriter st = Files.newBufferedWriter(state, StandardCharsets.UTF_8);
             BufferedWriter xa = Files.newBufferedWriter(xf, StandardCharsets.UTF_8)) {
            n = RootScanner.scan(base, excludes, FileTable.load(base), it -> {
                TarEntry e = it.entry();
                // a further name of a file shares its inode, already described under the first name
                if (e.type() == TarEntry.Type.HARDLINK) return;
                RootScanner.Stat a = it.disk();
                Path p = it.rel().isEmpty() ? base : base.resolve(it.rel());
                if (same[0] && !asOnDisk(e, a, p, posix)) {
                    same[0] = false;
                    guess.stop();
                }
                // faked's save-file line (faked.c load_database): dev in hex, mode octal with the file type
                st.write("dev=" + Long.toHexString(a.dev()) + ",ino=" + a.ino()
                        + ",mode=" + Integer.toOctalString(typeBits(e.type()) | e.mode()) + ",uid=" + e.uid()
                        + ",gid=" + e.gid() + ",nlink=" + a.nlink() + ",rdev=" + makedev(e.devMajor(), e.devMinor()) + "\n");
                if (e.xattrs() != null && !e.xattrs().isEmpty()) {
                    any[0] = true;
                    xa.write("# file: " + quote(it.rel().isEmpty() ? "." : it.rel()) + "\n");
                    for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
                        xa.write(quote(x.getKey()) + "=0x" + HexFormat.of().formatHex(x.getValue()) + "\n");
                    }
                    xa.write("\n");
                }
            });
        }
        return new View(state, xf, any[0], n, same[0]);
    }

    /**
     * Whether the disk ({@code a}, the lstat of {@code p}) shows {@code e} as the state file and the xattr dump
     * would fake it: file type, mode, owners, device number, and the same xattrs, at most one (of several, a tool
     * lists them in the filesystem's order, which need not be fakeroot's).
     */
    private static boolean asOnDisk(TarEntry e, RootScanner.Stat a, Path p, PosixOps posix) throws IOException {
        if (a.mode() != (typeBits(e.type()) | e.mode()) || a.uid() != e.uid() || a.gid() != e.gid()
                || a.rdev() != makedev(e.devMajor(), e.devMinor())) {
            return false;
        }
        Map<String, byte[]> want = e.xattrs() == null ? Map.of() : e.xattrs();
        Map<String, byte[]> has = posix.lgetxattrs(p);
        if (has.size() > 1 || !has.keySet().equals(want.keySet())) return false;
        for (Map.Entry<String, byte[]> x : has.entrySet()) if (!Arrays.equals(x.getValue(), want.get(x.getKey()))) return false;
        return true;
    }

    private static int typeBits(TarEntry.Type t) {
        return switch (t) {
            case DIR -> 0040000;
            case SYMLINK -> 0120000;
            case FIFO -> 0010000;
            case CHAR -> 0020000;
            case BLOCK -> 0060000;
            default -> 0100000;
        };
    }

    /** glibc's {@code makedev}, as {@code st_rdev} holds it. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffL) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xffL) | ((minor & ~0xffL) << 12);
    }

    /**
     * A name as setfattr's dump format takes it (attr's {@code unquote}): every byte but printable ASCII as a
     * three-digit octal escape, so spaces, backslashes and non-ASCII bytes survive.
     */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > ' ' && c < 0x7f && c != '\\' && c != '=' && c != '"') sb.append((char) c);
            else sb.append('\\').append((char) ('0' + (c >> 6))).append((char) ('0' + ((c >> 3) & 7))).append((char) ('0' + (c & 7)));
        }
        return sb.toString();
    }
}

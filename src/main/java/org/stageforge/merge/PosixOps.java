package org.stageforge.merge;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The few POSIX calls Java's file API lacks (full mode bits with setuid/setgid/sticky, lchown, mknod/mkfifo, binary
 * xattrs in any namespace, symlink mtimes, syncfs), through JNA on the C library. Paths are used as given: callers
 * pass paths already resolved inside the target root.
 */
public interface PosixOps {

    /** Whether the process can set owners, create devices and security xattrs (effective uid 0). */
    boolean privileged();

    void chmod(Path p, int mode) throws IOException;

    void lchown(Path p, long uid, long gid) throws IOException;

    /** Creates a character ({@code 'c'}) or block ({@code 'b'}) device. */
    void mknod(Path p, char type, int mode, int major, int minor) throws IOException;

    void mkfifo(Path p, int mode) throws IOException;

    void lsetxattr(Path p, String name, byte[] value) throws IOException;

    /**
     * Every xattr of {@code p} (any namespace, not following a final symlink), by name; empty on a filesystem without
     * xattrs.
     */
    java.util.SortedMap<String, byte[]> lgetxattrs(Path p) throws IOException;

    /** Sets the modification (and access) time of {@code p} without following a final symlink. */
    void lutimes(Path p, long epochSeconds) throws IOException;

    /** Flushes the filesystem holding {@code p} to disk. */
    void syncfs(Path p) throws IOException;

    /** The C library implementation. */
    static PosixOps system() {
        return Native0.INSTANCE;
    }

    /** JNA binding; loaded on first use. */
    final class Native0 implements PosixOps {
        static final Native0 INSTANCE = new Native0();
        private static final int AT_FDCWD = -100;
        private static final int AT_SYMLINK_NOFOLLOW = 0x100;
        private static final int O_RDONLY = 0;
        private static final int S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFIFO = 0010000;

        interface LibC extends Library {
            int geteuid();
            int chmod(String path, int mode) throws LastErrorException;
            int lchown(String path, int uid, int gid) throws LastErrorException;
            int mknod(String path, int mode, long dev) throws LastErrorException;
            int lsetxattr(String path, String name, byte[] value, long size, int flags) throws LastErrorException;
            int utimensat(int dirfd, String path, long[] times, int flags) throws LastErrorException;
            int open(String path, int flags) throws LastErrorException;
            int syncfs(int fd) throws LastErrorException;
            int close(int fd) throws LastErrorException;
        }

        private final LibC c = Native.load("c", LibC.class);

        /** The xattr reads, mapped directly: a root image's check lists every path's xattrs, a proxy call each would cost more. */
        static final class Xattr {
            static {
                Native.register(Xattr.class, com.sun.jna.NativeLibrary.getInstance("c"));
            }

            private Xattr() {}

            static native long llistxattr(String path, byte[] list, long size) throws LastErrorException;

            static native long lgetxattr(String path, String name, byte[] value, long size) throws LastErrorException;
        }

        private Native0() {}

        @Override
        public boolean privileged() {
            return c.geteuid() == 0;
        }

        @Override
        public void chmod(Path p, int mode) throws IOException {
            call("chmod", p, () -> c.chmod(p.toString(), mode & 07777));
        }

        @Override
        public void lchown(Path p, long uid, long gid) throws IOException {
            call("lchown", p, () -> c.lchown(p.toString(), (int) uid, (int) gid));
        }

        @Override
        public void mknod(Path p, char type, int mode, int major, int minor) throws IOException {
            int kind = type == 'b' ? S_IFBLK : S_IFCHR;
            call("mknod", p, () -> c.mknod(p.toString(), kind | (mode & 07777), makedev(major, minor)));
        }

        @Override
        public void mkfifo(Path p, int mode) throws IOException {
            call("mkfifo", p, () -> c.mknod(p.toString(), S_IFIFO | (mode & 07777), 0));
        }

        @Override
        public void lsetxattr(Path p, String name, byte[] value) throws IOException {
            call("lsetxattr " + name, p, () -> c.lsetxattr(p.toString(), name, value, value.length, 0));
        }

        private static final int ERANGE = 34, ENOTSUP = 95, ENODATA = 61;

        @Override
        public java.util.SortedMap<String, byte[]> lgetxattrs(Path p) throws IOException {
            java.util.SortedMap<String, byte[]> out = new java.util.TreeMap<>();
            String path = p.toString();
            byte[] names = sized(p, "llistxattr", n -> Xattr.llistxattr(path, n, n == null ? 0 : n.length));
            if (names == null) return out;
            int start = 0;
            for (int i = 0; i < names.length; i++) {
                if (names[i] != 0) continue;
                String name = new String(names, start, i - start, java.nio.charset.StandardCharsets.UTF_8);
                start = i + 1;
                byte[] v = sized(p, "lgetxattr " + name, b -> Xattr.lgetxattr(path, name, b, b == null ? 0 : b.length));
                // removed since listed: not there
                if (v != null) out.put(name, v);
            }
            return out;
        }

        /**
         * The bytes a size-then-fill call gives: asked for the size first, retried while the value grows in between;
         * null when the filesystem has no xattrs or the attribute is gone (ENOTSUP, ENODATA).
         */
        private static byte[] sized(Path p, String what, java.util.function.Function<byte[], Long> call) throws IOException {
            while (true) {
                try {
                    long n = call.apply(null);
                    byte[] b = new byte[(int) n];
                    if (n == 0) return b;
                    long got = call.apply(b);
                    return got == n ? b : java.util.Arrays.copyOf(b, (int) got);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == ERANGE) continue;
                    if (e.getErrorCode() == ENOTSUP || e.getErrorCode() == ENODATA) return null;
                    throw new IOException(what + " " + p + ": errno " + e.getErrorCode());
                }
            }
        }

        @Override
        public void lutimes(Path p, long epochSeconds) throws IOException {
            long[] ts = {epochSeconds, 0, epochSeconds, 0};
            call("utimensat", p, () -> c.utimensat(AT_FDCWD, p.toString(), ts, AT_SYMLINK_NOFOLLOW));
        }

        @Override
        public void syncfs(Path p) throws IOException {
            int[] fd = new int[1];
            call("open", p, () -> fd[0] = c.open(p.toString(), O_RDONLY));
            try {
                call("syncfs", p, () -> c.syncfs(fd[0]));
            } finally {
                c.close(fd[0]);
            }
        }

        /** glibc's makedev(). */
        static long makedev(long major, long minor) {
            return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                    | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
        }

        private interface Call {
            int run();
        }

        private static void call(String what, Path p, Call call) throws IOException {
            try {
                call.run();
            } catch (LastErrorException e) {
                throw new IOException(what + " " + p + ": errno " + e.getErrorCode());
            }
        }
    }
}

package org.stageforge.archive;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One archive member.
 *
 * @param path       the name as stored (after PAX / GNU long-name processing), e.g. {@code ./usr/bin/}
 * @param type       member type
 * @param mode       permission bits including setuid/setgid/sticky (07777)
 * @param mtime      seconds since the epoch
 * @param mtimeNanos sub-second part from a PAX {@code mtime} record, else 0
 * @param linkTarget symlink target or hard-link target path, empty otherwise
 * @param xattrs     extended attributes by full name ("security.capability"), values as raw bytes, sorted
 */
public record TarEntry(String path, Type type, int mode, long uid, long gid, String uname, String gname,
                       long size, long mtime, int mtimeNanos, String linkTarget, int devMajor, int devMinor,
                       SortedMap<String, byte[]> xattrs) {

    public enum Type {
        FILE('-'), DIR('d'), SYMLINK('l'), HARDLINK('h'), FIFO('p'), CHAR('c'), BLOCK('b');

        private final char lsChar;

        Type(char lsChar) {
            this.lsChar = lsChar;
        }

        /** The type letter {@code ls -l} / {@code tar -tv} print ('h' for hard links, which tar shows as '-' or 'h'). */
        public char lsChar() {
            return lsChar;
        }
    }

    public TarEntry {
        Objects.requireNonNull(path);
        Objects.requireNonNull(type);
        uname = uname == null ? "" : uname;
        gname = gname == null ? "" : gname;
        linkTarget = linkTarget == null ? "" : linkTarget;
        TreeMap<String, byte[]> copy = new TreeMap<>();
        if (xattrs != null) xattrs.forEach((k, v) -> copy.put(k, v.clone()));
        xattrs = Collections.unmodifiableSortedMap(copy);
    }

    /** A member with no owner names, extended attributes or device numbers. */
    public static TarEntry of(String path, Type type, int mode, long uid, long gid, long size, long mtime,
                              String linkTarget) {
        return new TarEntry(path, type, mode, uid, gid, "", "", size, mtime, 0, linkTarget, 0, 0, null);
    }

    public TarEntry withPath(String newPath) {
        return new TarEntry(newPath, type, mode, uid, gid, uname, gname, size, mtime, mtimeNanos, linkTarget,
                devMajor, devMinor, xattrs);
    }

    public TarEntry withLinkTarget(String target) {
        return new TarEntry(path, type, mode, uid, gid, uname, gname, size, mtime, mtimeNanos, target,
                devMajor, devMinor, xattrs);
    }

    public TarEntry withXattrs(Map<String, byte[]> x) {
        return new TarEntry(path, type, mode, uid, gid, uname, gname, size, mtime, mtimeNanos, linkTarget,
                devMajor, devMinor, x == null ? null : new TreeMap<>(x));
    }

    /** {@code ls -l} style mode string, e.g. {@code -rwsr-xr-x}. */
    public String modeString() {
        char[] c = new char[10];
        c[0] = type == Type.HARDLINK ? 'h' : type.lsChar();
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) c[i + 1] = (mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-';
        if ((mode & 04000) != 0) c[3] = c[3] == 'x' ? 's' : 'S';
        if ((mode & 02000) != 0) c[6] = c[6] == 'x' ? 's' : 'S';
        if ((mode & 01000) != 0) c[9] = c[9] == 'x' ? 't' : 'T';
        return new String(c);
    }

    // byte[] values need content equality for a record to behave as a value
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TarEntry e)) return false;
        if (!(path.equals(e.path) && type == e.type && mode == e.mode && uid == e.uid && gid == e.gid
                && uname.equals(e.uname) && gname.equals(e.gname) && size == e.size && mtime == e.mtime
                && mtimeNanos == e.mtimeNanos && linkTarget.equals(e.linkTarget) && devMajor == e.devMajor
                && devMinor == e.devMinor && xattrs.keySet().equals(e.xattrs.keySet()))) return false;
        for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
            if (!Arrays.equals(x.getValue(), e.xattrs.get(x.getKey()))) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, type, mode, uid, gid, size, mtime, linkTarget);
    }
}

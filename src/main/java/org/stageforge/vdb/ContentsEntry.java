package org.stageforge.vdb;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One line of a VDB {@code CONTENTS} file.
 *
 * @param type   what the path is
 * @param path   absolute path inside the root (may contain spaces)
 * @param md5    md5 of a regular file ({@link Type#OBJ}), else null
 * @param mtime  mtime in whole seconds of a file or symlink, empty for the other types
 * @param target symlink target ({@link Type#SYM}), else null
 */
public record ContentsEntry(Type type, String path, String md5, OptionalLong mtime, String target) {

    /** The CONTENTS line kinds Portage writes. */
    public enum Type {
        OBJ("obj"), DIR("dir"), SYM("sym"), FIF("fif"), DEV("dev");

        private final String tag;

        Type(String tag) { this.tag = tag; }

        public String tag() { return tag; }

        static Type of(String tag) {
            for (Type t : values()) if (t.tag.equals(tag)) return t;
            return null;
        }
    }

    public ContentsEntry {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(mtime, "mtime");
        if ((type == Type.OBJ) != (md5 != null)) throw new IllegalArgumentException("md5 is for obj entries only");
        if ((type == Type.SYM) != (target != null)) throw new IllegalArgumentException("target is for sym entries only");
        if ((type == Type.OBJ || type == Type.SYM) != mtime.isPresent()) {
            throw new IllegalArgumentException("mtime is for obj and sym entries only");
        }
    }

    public static ContentsEntry obj(String path, String md5, long mtime) {
        return new ContentsEntry(Type.OBJ, path, md5, OptionalLong.of(mtime), null);
    }

    public static ContentsEntry dir(String path) {
        return new ContentsEntry(Type.DIR, path, null, OptionalLong.empty(), null);
    }

    public static ContentsEntry sym(String path, String target, long mtime) {
        return new ContentsEntry(Type.SYM, path, null, OptionalLong.of(mtime), target);
    }

    public static ContentsEntry fif(String path) {
        return new ContentsEntry(Type.FIF, path, null, OptionalLong.empty(), null);
    }

    public static ContentsEntry dev(String path) {
        return new ContentsEntry(Type.DEV, path, null, OptionalLong.empty(), null);
    }

    /** The line as Portage writes it, without the newline. */
    public String line() {
        return switch (type) {
            case OBJ -> "obj " + path + " " + md5 + " " + mtime.getAsLong();
            case SYM -> "sym " + path + " -> " + target + " " + mtime.getAsLong();
            default -> type.tag() + " " + path;
        };
    }
}

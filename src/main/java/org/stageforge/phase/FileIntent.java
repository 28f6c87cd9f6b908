package org.stageforge.phase;

/**
 * An ownership, mode, device-node or capability change a phase made (or, unprivileged, asked for)
 * on a path, to be applied to the file table. {@code path} is relative to {@code scope}'s
 * directory, without a leading slash ("" is the directory itself).
 *
 * <ul>
 *   <li>{@code CHOWN}: {@code value} is {@code "UID:GID"}, either side {@code -1} when unchanged;</li>
 *   <li>{@code CHMOD}: {@code value} is the resulting mode in octal ({@code "0640"}; the change is
 *       always made on disk too);</li>
 *   <li>{@code MKNOD}: {@code value} is {@code "TYPE MAJOR MINOR MODE"} ({@code -} for absent parts);</li>
 *   <li>{@code SETCAP}: {@code value} is the capability text given to setcap ("" when removed with
 *       {@code setcap -r}).</li>
 * </ul>
 */
public record FileIntent(Op op, Scope scope, String path, String value) {
    public enum Op { CHOWN, CHMOD, MKNOD, SETCAP }

    /** ROOT, or the package image (D) in pkg_preinst. */
    public enum Scope { ROOT, IMAGE }
}

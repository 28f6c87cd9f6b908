package org.stageforge.phase;

/** How a phase is kept from touching the host. */
public enum Isolation {
    /**
     * New mount and PID namespaces (plus a user namespace mapping the caller to root when not run
     * by root): the phase sees a tmpfs root with the host's system directories read-only, its own
     * /proc, and only ROOT and the package's build directory writable; the host's root is detached
     * (pivot_root) and the phase keeps only the file-ownership capabilities (chown, fowner,
     * dac_override, fsetid, setfcap), so it cannot mount, chroot, create devices or reach host
     * processes. Phases fail when the namespaces cannot be made.
     */
    NAMESPACE,
    /**
     * No confinement beyond the helper library's path checks (chown/chmod/mknod/setcap outside ROOT
     * are refused). Only for hosts without namespaces; must be chosen explicitly.
     */
    NONE
}

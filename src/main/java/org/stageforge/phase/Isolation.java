package org.stageforge.phase;

/** How a phase is kept from touching the host. */
public enum Isolation {
    /**
     * A private mount namespace (plus a user namespace when not root) whose only writable
     * directories are ROOT and the package's build directory; the host's system directories are
     * visible read-only, everything else not at all. Phases fail when the namespace cannot be made.
     */
    NAMESPACE,
    /**
     * No confinement beyond the helper library's path checks (chown/chmod/mknod/setcap outside ROOT
     * are refused). Only for hosts without namespaces; must be chosen explicitly.
     */
    NONE
}

/**
 * Running the pkg_* phases of binary packages ({@link org.stageforge.phase.BashPhaseRunner}).
 *
 * <h2>What runs</h2>
 * For a binary install Portage runs pkg_pretend, pkg_setup, pkg_preinst and pkg_postinst
 * ({@link org.stageforge.phase.Phases#BINARY_INSTALL}); pkg_prerm/pkg_postrm run from the installed
 * copy of a replaced or removed package. Only phases listed in DEFINED_PHASES start a shell. The
 * environment saved after pkg_setup/pkg_preinst is what the next phase of the same install starts
 * from (as Portage re-saves it), so eclass state such as {@code _ACCT_USER_ADDED} carries over.
 *
 * <h2>Environment</h2>
 * The shell starts empty (no host variable reaches it). Set for the phase: ROOT/EROOT (no trailing
 * slash from EAPI 7, "" for "/"; with a slash before), EPREFIX="", D/ED (the image, pkg_preinst and,
 * when given, pkg_postinst), BROOT/SYSROOT/ESYSROOT="" (pkg_setup, EAPI 7+: the build host is "/"),
 * T=HOME=TMPDIR (a per-package directory under the build directory, outside ROOT), WORKDIR/S unset,
 * EBUILD_PHASE(_FUNC), CATEGORY, PN, PV, PR, P, PF, PVR, SLOT, USE (the package's own), EAPI,
 * REPLACING_VERSIONS / REPLACED_BY_VERSION, MERGE_TYPE=binary, PORTAGE_BUILDDIR/PORTAGE_TMPDIR/
 * PORTAGE_REPO_NAME, PATH = the shim directory then a clean host PATH, LC_ALL=C, TZ=UTC and
 * SOURCE_DATE_EPOCH when given. Everything else comes from the package's saved environment.
 *
 * <h2>Helper library</h2>
 * {@code phase-lib.sh} (this project's own code) is sourced before the saved environment and again
 * after it, so the saved copies of Portage's helpers never win. has_version/best_version match
 * simple atoms (operators, =*, ~, slot/subslot, ::repo, USE dependencies) in bash against a list of
 * ROOT's installed packages ("cat/pf slot repo USE") written from the VDB before each run; this
 * answers atoms built from variables at run time, which precomputing answers from the phase text
 * could not. -b/-d (build host) queries answer "not installed": the host is not a Gentoo system.
 * Versions compare by the PMS algorithm (checked against Portage's vercmp in the tests).
 * chown/chgrp resolve names in ROOT's etc/passwd and etc/group, never the host's; chown, chgrp,
 * chmod, mknod and setcap refuse paths outside ROOT, the image and T, and are recorded as
 * {@link org.stageforge.phase.FileIntent}s: as root chown/chgrp/chmod/setcap also act; unprivileged
 * only chmod acts; device nodes are only recorded (fifos are made). useradd/usermod/userdel and
 * groupadd/groupmod/groupdel only leave a note: accounts are created natively by the merge engine.
 * Host commands that regenerate caches or talk to a running service manager (ldconfig, env-update,
 * systemd-tmpfiles, udevadm, systemctl, update-mime-database, ...; see
 * {@link org.stageforge.phase.BashPhaseRunner#NO_OP_SHIMS}) are no-op shims whose calls are listed
 * in {@link org.stageforge.phase.PhaseResult#skippedCommands()}; dbus-uuidgen writes a machine id
 * derived from SOURCE_DATE_EPOCH and the package so roots stay reproducible. Any other missing
 * host tool fails as it would under Portage ("command not found"; the phase only fails if it dies).
 *
 * <h2>Isolation</h2>
 * See {@link org.stageforge.phase.Isolation#NAMESPACE}: verified as root and as an unprivileged
 * user (user namespace). A phase's writes outside ROOT and the build directory either fail
 * (read-only system directories) or land in a throw-away tmpfs. The sandbox is set up once for the
 * phases of a batch ({@code PhaseServer}, {@code phase-server.sh}), not once per phase: each phase
 * still runs in a forked child with an empty environment, and after it the server kills whatever it
 * left running and empties the sandbox's /tmp. A phase costs one fork and one exec of bash plus
 * sourcing the package's environment; it is saved again only when a later phase continues from it.
 *
 * <h2>What the merge engine must do</h2>
 * <ul>
 *   <li>before any phase, create ROOT's {@code tmp} and {@code var/tmp} (mode 1777), as Portage's
 *       config does for every root (baselayout's pkg_preinst chmods them);</li>
 *   <li>for packages defining preinst whose phase may use D ({@link org.stageforge.phase.ImageUse}),
 *       extract the image to disk, run pkg_preinst with it as D, then merge from that (possibly
 *       changed) image; otherwise run it with an empty D and merge straight from the package; register the package in the VDB before pkg_postinst
 *       (has_version sees it then, as in Portage);</li>
 *   <li>apply the returned FileIntents to its file table, and remove {@code BUILD/CAT/PF} when the
 *       package is done (logs stay in {@code BUILD/logs/CAT:PF.log}).</li>
 * </ul>
 */
package org.stageforge.phase;

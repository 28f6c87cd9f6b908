package org.stageforge.merge;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.MemberRules;
import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.TarEntry;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.ImageVisitor;
import org.stageforge.binpkg.PackageMetadata;
import org.stageforge.phase.FileIntent;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;
import org.stageforge.vdb.WorldFile;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Merges binary packages into a root the way Portage's {@code dblink.merge} does, pkgcore-style: each package's
 * image is read (decompressed and hashed) once, its files' content written once into the journal directory (in the
 * root, so on the root's filesystem) while the plan is built; the plan is validated (paths, collisions,
 * CONFIG_PROTECT, INSTALL_MASK) before anything in the root changes, then each file is renamed into place. A package whose
 * pkg_preinst runs is the exception: its image is extracted under the build directory, the phase edits it (D), and
 * the edited image is planned and merged with the package's own metadata ({@link PhaseImage}). Every change is
 * journaled; when anything fails the root is restored to its state before that package.
 *
 * <p>Per package, in order: plan and validate; native account creation for acct-group/acct-user (their
 * pkg_preinst); pkg_preinst (skipped and listed with --no-phases); write the files; remove the files of the replaced
 * version (same slot) that the new one lacks; VDB entry; world file; file table; pkg_postinst. After the batch:
 * env-update and, when the root has one, the root's ldconfig.
 *
 * <p>Owners: a member's user and group names are looked up in the root's {@code etc/passwd} / {@code etc/group}
 * (so accounts created by acct-* packages apply); unknown names keep the member's numeric IDs. Files keep the
 * package's mtimes (as CONTENTS records them); directories that already exist are left as they are.
 */
public final class MergeEngine {
    private static final int BUFFER = 1 << 18;
    /** How much of a package's content planning keeps in memory ({@link Member#content}); the rest is spooled. */
    private static final long IN_MEMORY = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);
    /** Present while a merge batch runs: env-update and ldconfig are still due (see {@link #unfinished}). */
    static final String PENDING = "var/lib/stageforge/merge-pending";
    private static final Set<String> ACCOUNT_FILES = Set.of("etc/passwd", "etc/group", "etc/shadow", "etc/gshadow");
    private static final List<String> MERGE_PHASES = List.of("pretend", "setup", "preinst", "postinst");

    /**
     * What happened to one package.
     *
     * @param cpv           CATEGORY/PF merged
     * @param replaced      the installed package it replaced (same slot), or null
     * @param contents      number of CONTENTS entries recorded
     * @param configUpdates {@code ._cfgNNNN_} files written for protected files, absolute in the root
     * @param removed       paths of the replaced version removed because the new one lacks them
     * @param masked        image paths left out by INSTALL_MASK
     * @param phases        phases run ("pkg_preinst"), done natively ("pkg_preinst (native accounts)") or skipped
     *                      ("pkg_postinst (skipped)")
     */
    public record PackageResult(String cpv, String replaced, int contents, List<String> configUpdates,
                                List<String> removed, List<String> masked, List<String> phases) {}

    /**
     * @param packages  per package, in merge order
     * @param envUpdate env-update's result
     * @param ldconfig  what happened about ldconfig (run, or why not)
     */
    public record Result(List<PackageResult> packages, EnvUpdate.Result envUpdate, String ldconfig) {
        /** Every skipped phase as "CAT/PF: pkg_x". */
        public List<String> skippedPhases() {
            List<String> out = new ArrayList<>();
            for (PackageResult p : packages) {
                for (String ph : p.phases()) {
                    if (ph.endsWith(" (skipped)")) out.add(p.cpv() + ": " + ph.substring(0, ph.length() - 10));
                }
            }
            return out;
        }
    }

    private final MergeOptions options;
    private final Path root;
    private final Vdb vdb;
    private final FileTable table;
    /** Whether owners, special modes, devices and xattrs also go to disk (asked once: it is a native call). */
    private final boolean materialize;
    /** The options' CONFIG_PROTECT rules, parsed once: asked for every file of every package. */
    private final ConfigProtect configProtect;
    private OwnerIndex owners;
    /** The last COUNTER this batch allocated, or null before the first. */
    private Long lastCounter;
    /** Where images are extracted for pkg_preinst; created on first use. */
    private Path buildDir;
    /** {@link #buildDir} when it is a temporary directory of this batch. */
    private Path tempBuildDir;
    /** Test hook: called with each relative path just before it is written. */
    private Consumer<String> beforeWrite = p -> { };

    private MergeEngine(MergeOptions options, Path root) {
        this.options = options;
        this.root = root;
        this.vdb = Vdb.open(root);
        this.table = FileTable.load(root);
        this.materialize = options.materialize();
        this.configProtect = new ConfigProtect(options.configProtect(), options.configProtectMask());
    }

    /**
     * Merges the request's packages in order; stops at the first failure (earlier packages stay merged). Holds the
     * root's {@link RootLock} throughout and first rolls back whatever an interrupted merge left (see {@link Journal}),
     * so a killed merge rerun gives exactly the root, file table and VDB of an uninterrupted one.
     */
    public static Result merge(MergeRequest request) {
        return merge(request, null);
    }

    static Result merge(MergeRequest request, Consumer<String> beforeWrite) {
        Path root = request.options().root().toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new StageforgeException("root " + root + " is not a directory", ExitCodes.NOT_FOUND, null);
        }
        try (RootLock lock = RootLock.acquire(root)) {
            Journal.recover(root);
            Path pending = root.resolve(PENDING);
            boolean owed = Files.exists(pending, LinkOption.NOFOLLOW_LINKS);
            try {
                if (!owed) Files.createFile(pending);
                Result r = new MergeEngine(request.options(), root).run(request, beforeWrite);
                Files.delete(pending);
                return r;
            } catch (IOException e) {
                throw new StageforgeException("cannot write " + pending + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                // a failure is reported and leaves the root as it was; only a kill leaves the marker for the rerun
                if (!owed) deleteQuietly(pending);
                throw e;
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the failure being reported matters more
        }
    }

    /**
     * Rolls back what an interrupted merge left in {@code root} (under its lock), so that reading its VDB gives what
     * really is installed; {@link #merge} does it too. Call before resolving against an existing root.
     */
    public static void recover(Path root) {
        Path r = root.toAbsolutePath().normalize();
        if (!Files.exists(r.resolve(Journal.DIR), LinkOption.NOFOLLOW_LINKS)) return;
        try (RootLock lock = RootLock.acquire(r)) {
            Journal.recover(r);
        }
    }

    /**
     * Whether a merge into {@code root} stopped before its end (killed, or failed): then env-update and ldconfig
     * still have to run, so a rerun must call {@link #merge} even when nothing is left to merge.
     */
    public static boolean unfinished(Path root) {
        return Files.exists(root.resolve(PENDING), LinkOption.NOFOLLOW_LINKS)
                || Files.exists(root.resolve(Journal.DIR), LinkOption.NOFOLLOW_LINKS);
    }

    private Result run(MergeRequest request, Consumer<String> hook) {
        if (hook != null) beforeWrite = hook;
        prepareRoot();
        owners = OwnerIndex.load(root, vdb);
        List<PackageResult> results = new ArrayList<>();
        try {
            for (MergeRequest.Item item : request.packages()) {
                try (BinaryPackage pkg = BinaryPackage.open(item.binpkg())) {
                    PackageResult r = new PackageMerge(pkg, item).run();
                    results.add(r);
                    request.listener().accept(r);
                }
            }
        } finally {
            if (tempBuildDir != null) org.stageforge.util.Dirs.deleteTreeOrFail(tempBuildDir);
        }
        EnvUpdate.Result env = EnvUpdate.run(root);
        String ld = ldconfig();
        // the batch's delta folded into the table: written whole once, not once per package
        if (Files.exists(root.resolve(FileTable.DELTA), LinkOption.NOFOLLOW_LINKS)) table.save(root);
        if (options.sync()) {
            try {
                options.posix().syncfs(root);
            } catch (IOException e) {
                throw new StageforgeException("cannot sync " + root + ": " + e.getMessage(), e);
            }
        }
        return new Result(List.copyOf(results), env, ld);
    }

    /**
     * Portage's state files: var/lib/portage (setgid), its config memory and preserved-libs registry; and, as
     * Portage makes them for every root, the world-writable sticky {@code tmp} and {@code var/tmp}.
     */
    private void prepareRoot() {
        Journal journal = new Journal(root);
        boolean changed = false;
        try {
            for (String t : List.of("tmp", "var/tmp")) {
                Path p = root.resolve(t);
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) continue;
                journaledDirs(journal, p.getParent());
                journal.creating(p);
                Files.createDirectory(p);
                setMode(p, 01777, true);
                table.put(t, new FileTable.Entry('d', 01777, 0, 0, 0, 0, null));
                changed = true;
            }
            Path vlp = root.resolve("var/lib/portage");
            if (!Files.isDirectory(vlp, LinkOption.NOFOLLOW_LINKS)) {
                journaledDirs(journal, vlp.getParent());
                journal.creating(vlp);
                Files.createDirectory(vlp);
                setMode(vlp, 02755, true);
                table.put("var/lib/portage", new FileTable.Entry('d', 02755, 0, 0, 0, 0, null));
                changed = true;
            }
            for (String f : List.of(ConfigProtect.MEMORY, "var/lib/portage/preserved_libs_registry")) {
                Path p = root.resolve(f);
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    journal.creating(p);
                    Files.write(p, new byte[0], StandardOpenOption.CREATE_NEW);
                    RootFiles.setMode(p, 0660);
                }
            }
            if (changed) {
                journal.appending(root.resolve(FileTable.DELTA));
                table.appendChanges(root);
            }
            journal.commit();
            table.commitChanges();
        } catch (IOException | RuntimeException e) {
            try {
                journal.rollback();
            } finally {
                table.rollbackChanges();
            }
            if (e instanceof RuntimeException re) throw re;
            throw new StageforgeException("cannot prepare " + root + "/var/lib/portage: " + e.getMessage(), e);
        }
    }

    /** Creates the missing directories of {@code dir} (mode 0755, refusing symlinks), each journaled. */
    private void journaledDirs(Journal journal, Path dir) throws IOException {
        Path p = root;
        for (Path c : root.relativize(dir)) {
            p = p.resolve(c.toString());
            if (Files.isSymbolicLink(p)) {
                throw new StageforgeException("refusing to write through symbolic link " + p, ExitCodes.VERIFY, null);
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
            journal.creating(p);
            Files.createDirectory(p);
            RootFiles.setMode(p, 0755);
        }
    }

    private String ldconfig() {
        for (String cand : List.of("sbin/ldconfig", "usr/sbin/ldconfig")) {
            Path p = root.resolve(cand);
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(p)) {
                try {
                    Process pr = new ProcessBuilder(p.toString(), "-X", "-r", root.toString())
                            .redirectErrorStream(true).start();
                    String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                    int rc = pr.waitFor();
                    return rc == 0 ? "ran /" + cand + " -X -r ROOT" : "/" + cand + " failed (" + rc + "): " + out;
                } catch (IOException e) {
                    return "/" + cand + " could not run: " + e.getMessage();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "/" + cand + " interrupted";
                }
            }
        }
        return "skipped: the root has no sbin/ldconfig (the host's is never used)";
    }

    /** The build directory (created on first use), never inside the root nor containing it. */
    private Path buildDir() throws IOException {
        if (buildDir != null) return buildDir;
        Path d;
        if (options.buildDir() != null) {
            d = Files.createDirectories(options.buildDir()).toRealPath();
        } else {
            d = tempBuildDir = Files.createTempDirectory("stageforge-merge-").toRealPath();
        }
        Path r = root.toRealPath();
        if (d.startsWith(r) || r.startsWith(d)) {
            throw new StageforgeException("the build directory " + d + " and the root " + r
                    + " must not contain each other", ExitCodes.USAGE, null);
        }
        return buildDir = d;
    }

    private void setMode(Path p, int mode, boolean dir) throws IOException {
        options.posix().chmod(p, diskMode(mode, dir));
    }

    /** The mode a path gets on disk: without privileges the owner must keep access; the file table has the real one. */
    private int diskMode(int mode, boolean dir) {
        return materialize ? mode : (mode & 0777) | (dir ? 0700 : 0600);
    }

    static String md5Hex(Path p) {
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest md = md5();
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            return null;
        }
    }

    static MessageDigest md5() {
        return org.stageforge.util.Hashes.of("MD5");
    }

    /** One planned image member. */
    private static final class Member {
        final String rel;
        final TarEntry entry;
        /** Position in the image: a later member of the same path replaces this one (tar's rule). */
        final int index;
        String md5;
        boolean masked;
        /** Where it goes: null for masked members. */
        Path dest;
        /** CONFIG_PROTECT outcome for regular files. */
        Protect protect = Protect.NONE;
        /** For account files merged line-wise: the existing content. */
        byte[] accountBase;
        /**
         * The content, read while planning and kept in memory (up to {@link #IN_MEMORY} per package): created at its
         * destination when put in place, one create there instead of a spool file and a rename, as tar does. Null
         * when {@link #spool} holds it, or for masked files.
         */
        byte[] content;
        /** The content, written while planning (in the journal directory): renamed into place. */
        Path spool;
        /** The mode {@link #spool} was created with: when it is the one to set, no chmod is needed. */
        int spoolMode = -1;
        /** The owner {@link #spool} was created with: when it is the one to set, no chown is needed. */
        long spoolUid = -1, spoolGid = -1;
        long uid, gid;
        int mode;

        Member(String rel, TarEntry entry, int index) {
            this.rel = rel;
            this.entry = entry;
            this.index = index;
            this.uid = entry.uid();
            this.gid = entry.gid();
            this.mode = entry.mode() & 07777;
        }
    }

    private enum Protect { NONE, CFG, SKIP }

    /** What a file created in the journal directory gets: the umask's bits cleared, and this owner. */
    private record SpoolDefaults(int umask, long uid, long gid) {}

    /** The merge of one package. */
    private final class PackageMerge {
        final BinaryPackage pkg;
        final MergeRequest.Item item;
        final PackageMetadata meta;
        final String category, pf, cpv, slot;
        final RootView view = new RootView(root);
        final Journal journal = new Journal(root);
        final List<Member> members = new ArrayList<>();
        final Map<String, Member> byRel = new HashMap<>();
        final List<String> phases = new ArrayList<>();
        final List<String> configUpdates = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
        final List<String> maskedPaths = new ArrayList<>();
        final Map<String, String> hardlinkRedirect = new HashMap<>();
        /** Directories known to exist while writing: a member's parent is checked once per directory, not per member. */
        final Set<Path> knownDirs = new HashSet<>();
        /**
         * Destinations {@link #validate} found absent: while nothing else changed the root since (no phase, no
         * account), writing them needs no second look. Each is taken out when written, so a second member that
         * resolves to the same place (through a directory symlink of the root) is checked again.
         */
        final Set<Path> absent = new HashSet<>();
        /** What a new file in the journal directory gets (umask, owner), probed once per package; null before. */
        SpoolDefaults spoolDefaults;
        final boolean accountPkg;
        final Set<String> defined;
        /** Phases already run before planning (pkg_pretend, pkg_setup, pkg_preinst on the extracted image). */
        final Set<String> done = new HashSet<>();
        /** Where the image is read from: the package (streamed) or its copy edited by pkg_preinst. */
        Consumer<ImageVisitor> image;
        /** Whether {@link #image} is the package's own: then planning also gives {@link #binpkgMd5}. */
        boolean imageIsPackage = true;
        /** The image extracted for pkg_preinst (D), whose files planning moves instead of copying; or null. */
        Path imageDir;
        /** Directories of {@link #imageDir} found to be reached without a symbolic link (planning changes none). */
        final Set<Path> imageDirsReal = new HashSet<>();
        /** MD5 of the package file: verified by the caller, or computed while planning from the same reads; or null. */
        String binpkgMd5;
        VdbEntry installed;
        Map<String, ContentsEntry> installedContents;
        TreeMap<String, String> configMemory;
        boolean memoryChanged;
        int contentsCount;

        /** A metadata field, "" when the package lacks it. */
        String field(String key) {
            String v = meta.get(key);
            return v == null ? "" : v;
        }

        PackageMerge(BinaryPackage pkg, MergeRequest.Item item) {
            this.pkg = pkg;
            this.item = item;
            this.meta = pkg.metadata();
            this.category = field("CATEGORY").trim();
            this.pf = field("PF").trim();
            if (category.isEmpty() || pf.isEmpty()) {
                throw new StageforgeException(pkg.file() + ": binary package without CATEGORY or PF", ExitCodes.VERIFY,
                        null);
            }
            this.cpv = category + "/" + pf;
            this.slot = field("SLOT").trim().split("/")[0];
            this.accountPkg = category.equals("acct-group") || category.equals("acct-user");
            this.defined = Set.of(field("DEFINED_PHASES").trim().split("\\s+"));
            this.image = pkg::streamImage;
        }

        PackageResult run() {
            installed = findInstalled();
            configMemory = ConfigProtect.readMemory(root);
            PhaseImage edited = earlyPhases();
            try {
                return merge();
            } finally {
                if (edited != null) org.stageforge.util.Dirs.deleteTreeOrFail(edited.dir());
            }
        }

        private PackageResult merge() {
            try {
                plan();
                validate();
            } catch (RuntimeException e) {
                journal.rollback(); // only the planned content to drop: the root is untouched
                throw e;
            }
            try {
                preinst();
                write();
                unmergeStale();
                record();
                journal.commit();
                table.commitChanges();
            } catch (RuntimeException | IOException e) {
                try {
                    journal.rollback();
                } finally {
                    table.rollbackChanges();
                    lastCounter = null; // the counter file was rolled back too
                }
                int code = e instanceof StageforgeException se ? se.exitCode() : ExitCodes.FAILURE;
                throw new StageforgeException(cpv + ": merge failed, root restored: " + e.getMessage(), code, e);
            }
            if (installed != null) owners.remove(view, installed.cpv(), installed.contents());
            owners.add(view, cpv, contents());
            try {
                postinst();
            } catch (IOException e) {
                throw new StageforgeException(cpv + ": after pkg_postinst: " + e.getMessage(), e);
            }
            return new PackageResult(cpv, installed == null ? null : installed.cpv(), contentsCount,
                    List.copyOf(configUpdates), List.copyOf(removed), List.copyOf(maskedPaths), List.copyOf(phases));
        }

        private VdbEntry findInstalled() {
            String cp = org.stageforge.atom.Cpv.parse(cpv).cp();
            for (VdbEntry e : vdb.findByCp(cp)) {
                if (e.value("SLOT").orElse("0").split("/")[0].equals(slot)) return e;
            }
            return null;
        }

        private StageforgeException refuse(String why) {
            return new StageforgeException(pkg.file().getFileName() + " (" + cpv + "): refused: " + why,
                    ExitCodes.VERIFY, null);
        }

        /**
         * The one read of the image: the listing, file checksums, hostile structure, INSTALL_MASK; the content of
         * every file not masked goes to the journal directory, to be renamed into place.
         */
        private void plan() {
            MemberRules rules = new MemberRules(pkg.file().getFileName() + " (" + cpv + ")");
            InstallMask mask = options.installMask();
            int[] ordinal = {0};
            byte[] buf = new byte[BUFFER];
            binpkgMd5 = item.md5();
            Consumer<ImageVisitor> source = imageIsPackage && binpkgMd5 == null ? v -> binpkgMd5 = pkg.streamImageMd5(v)
                    : image;
            // a masked file's content may be read again (spoolRedirected): then the image must stay as it is
            boolean adopt = imageDir != null && mask.toString().isBlank();
            long[] inMemory = {0};
            source.accept((e, in) -> {
                String rel = String.join("/", PathSanitizer.components(e.path(), cpv));
                TarEntry norm = e.withPath(rel);
                if (e.type() == TarEntry.Type.HARDLINK) {
                    norm = norm.withLinkTarget(String.join("/", PathSanitizer.components(e.linkTarget(), cpv)));
                }
                rules.check(norm); // the same rules as pkg extract, in archive order
                int index = ordinal[0]++;
                if (rel.isEmpty()) return;
                Member m = new Member(rel, e, index);
                if (e.type() == TarEntry.Type.FILE) {
                    if (mask.isMasked("/" + rel) || (adopt && adopt(imageDir.resolve(rel), m))) {
                        // a masked file is only hashed (a hard link to it needs its md5; rarely its content: see below)
                        m.md5 = hash(in, buf);
                    } else if (e.size() <= IN_MEMORY - inMemory[0]) {
                        m.content = in.readAllBytes();
                        inMemory[0] += m.content.length;
                        m.md5 = HexFormat.of().formatHex(md5().digest(m.content));
                    } else {
                        m.spool = journal.spool();
                        m.md5 = copy(in, m, buf);
                    }
                }
                Member old = byRel.put(rel, m);
                if (old != null) {
                    members.remove(old);
                    if (old.spool != null) Files.delete(old.spool);
                    if (old.content != null) inMemory[0] -= old.content.length;
                }
                members.add(m);
            });
            // masked files go; masked directories go only when nothing unmasked is left below them
            Set<String> keptDirs = new HashSet<>();
            for (Member m : members) {
                if (m.entry.type() == TarEntry.Type.DIR) continue;
                m.masked = mask.isMasked("/" + m.rel);
                if (!m.masked) {
                    for (int i = m.rel.indexOf('/'); i > 0; i = m.rel.indexOf('/', i + 1)) keptDirs.add(m.rel.substring(0, i));
                }
            }
            for (Member m : members) {
                if (m.entry.type() != TarEntry.Type.DIR) continue;
                m.masked = mask.isMasked("/" + m.rel + "/") && !keptDirs.contains(m.rel);
                if (!m.masked) {
                    for (int i = m.rel.indexOf('/'); i > 0; i = m.rel.indexOf('/', i + 1)) keptDirs.add(m.rel.substring(0, i));
                }
            }
            // a masked dir that stays because of its children is still listed when its own parent is kept
            for (Member m : members) {
                if (m.entry.type() == TarEntry.Type.DIR && keptDirs.contains(m.rel)) m.masked = false;
                if (m.masked) maskedPaths.add("/" + m.rel);
            }
            for (Member m : members) {
                if (m.entry.type() != TarEntry.Type.HARDLINK || m.masked) continue;
                String target = String.join("/", PathSanitizer.components(m.entry.linkTarget(), cpv));
                Member t = byRel.get(target);
                if (t == null || t.entry.type() != TarEntry.Type.FILE) {
                    throw refuse("hard link /" + m.rel + " to /" + target + ", which is not a regular file of the package");
                }
                m.md5 = t.md5;
                if (t.masked) hardlinkRedirect.putIfAbsent(target, m.rel);
            }
            if (!hardlinkRedirect.isEmpty()) spoolRedirected();
        }

        /**
         * Writes {@code in} to {@code m.spool} and returns its MD5. The spool is created with the permission bits the
         * file will have ({@link #diskMode}), so that when the umask leaves them intact no chmod is needed once it is
         * in place.
         */
        private String copy(InputStream in, Member m, byte[] buf) throws IOException {
            MessageDigest md = md5();
            SpoolDefaults defaults = spoolDefaults();
            int perms = diskMode(m.mode, false) & 0777;
            try (OutputStream out = java.nio.channels.Channels.newOutputStream(Files.newByteChannel(m.spool,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(org.stageforge.util.Modes.permissions(perms))))) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            m.spoolMode = perms & ~defaults.umask();
            m.spoolUid = defaults.uid();
            m.spoolGid = defaults.gid();
            return HexFormat.of().formatHex(md.digest());
        }

        private static String hash(InputStream in, byte[] buf) throws IOException {
            MessageDigest md = md5();
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        }

        /**
         * Moves a regular file of the image pkg_preinst edited (D, under the build directory) into the journal
         * directory as {@code m}'s spool, instead of writing a copy: when it has a single link, no directory on its
         * way is a symbolic link the phase left (the move stays inside D), and D is on the root's filesystem.
         * Returns false when it cannot; the caller copies it then. The file keeps the mode and owner it has on disk
         * (the merge sets the member's where they differ) and any extended attribute the phase gave it, as
         * Portage's move of its image does.
         */
        private boolean adopt(Path src, Member m) throws IOException {
            Map<String, Object> a = Files.readAttributes(src, "unix:mode,uid,gid,nlink", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            if ((mode & 0170000) != 0100000 || ((Number) a.get("nlink")).intValue() != 1) return false;
            Path parent = src.getParent();
            if (!imageDirsReal.contains(parent)) {
                if (!parent.toRealPath().equals(parent)) return false;
                imageDirsReal.add(parent);
            }
            Path spool = journal.spool();
            try {
                Files.move(src, spool, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                return false;
            }
            m.spool = spool;
            m.spoolMode = mode & 07777;
            m.spoolUid = ((Number) a.get("uid")).longValue();
            m.spoolGid = ((Number) a.get("gid")).longValue();
            return true;
        }

        /**
         * Creates one file in the journal directory to see what new files there get: the umask's effect and the
         * owner (the process's, or the group of a setgid directory). Checked per package, as the journal directory
         * is made anew for each.
         */
        private SpoolDefaults spoolDefaults() throws IOException {
            if (spoolDefaults != null) return spoolDefaults;
            Path probe = journal.spool();
            Files.createFile(probe, PosixFilePermissions.asFileAttribute(org.stageforge.util.Modes.permissions(0777)));
            Map<String, Object> a = Files.readAttributes(probe, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
            Files.delete(probe);
            return spoolDefaults = new SpoolDefaults(~(Integer) a.get("mode") & 0777,
                    ((Number) a.get("uid")).longValue(), ((Number) a.get("gid")).longValue());
        }

        /**
         * A masked file that an unmasked hard link names is merged at the link's path: its content, not kept while
         * planning, is read again (the only second read of an image, and only for such packages).
         */
        private void spoolRedirected() {
            byte[] buf = new byte[BUFFER];
            int[] ordinal = {0};
            image.accept((e, in) -> {
                String rel = String.join("/", PathSanitizer.components(e.path(), cpv));
                int index = ordinal[0]++;
                String to = hardlinkRedirect.get(rel);
                Member m = byRel.get(rel);
                if (to == null || m == null || m.index != index) return;
                Member link = byRel.get(to);
                link.spool = journal.spool();
                if (!copy(in, link, buf).equals(link.md5)) {
                    throw new StageforgeException(cpv + ": /" + rel + " changed between two reads of the package");
                }
            });
        }

        /** Checks the plan against the root: directories, collisions, protection. Writes nothing. */
        private void validate() {
            Map<String, Long> users = AccountNames.read(root, "etc/passwd");
            Map<String, Long> groups = AccountNames.read(root, "etc/group");
            List<String> collisions = new ArrayList<>();
            for (Member m : members) {
                if (m.masked) continue;
                TarEntry e = m.entry;
                Long u = users.get(e.uname());
                Long g = groups.get(e.gname());
                if (u != null) m.uid = u;
                if (g != null) m.gid = g;
                try {
                    m.dest = view.real(m.rel);
                } catch (StageforgeException ex) {
                    throw refuse(ex.getMessage());
                }
                Path d = m.dest;
                boolean exists = Files.exists(d, LinkOption.NOFOLLOW_LINKS);
                if (!exists) absent.add(d);
                if (e.type() == TarEntry.Type.DIR) {
                    try {
                        if (exists && !RootView.isDirOrLinkToDir(root, d))
                            throw refuse("directory /" + m.rel + " would replace a non-directory in the root");
                    } catch (IOException ex) {
                        throw refuse("/" + m.rel + ": " + ex.getMessage());
                    }
                    continue;
                }
                if (exists && Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    throw refuse("/" + m.rel + " would replace a directory in the root");
                }
                String realRel = view.rel(d);
                String owner = owners.owner(realRel);
                boolean ownedByOther = owner != null && (installed == null || !owner.equals(installed.cpv()));
                if (ownedByOther && exists && !identical(m, d)) {
                    collisions.add("/" + m.rel + " (owned by " + owner + ")");
                }
                if (e.type() == TarEntry.Type.FILE) planProtect(m, exists, owner);
            }
            if (!collisions.isEmpty()) {
                throw refuse("file collision with installed packages: " + String.join(", ",
                        collisions.subList(0, Math.min(5, collisions.size())))
                        + (collisions.size() > 5 ? " and " + (collisions.size() - 5) + " more" : ""));
            }
        }

        private boolean identical(Member m, Path d) {
            try {
                return switch (m.entry.type()) {
                    case FILE, HARDLINK -> Files.isRegularFile(d, LinkOption.NOFOLLOW_LINKS) && m.md5.equals(md5Hex(d));
                    case SYMLINK -> Files.isSymbolicLink(d)
                            && Files.readSymbolicLink(d).toString().equals(m.entry.linkTarget());
                    default -> false;
                };
            } catch (IOException e) {
                return false;
            }
        }

        /** Portage's dblink._protect for one regular file. */
        private void planProtect(Member m, boolean exists, String owner) {
            String abs = "/" + m.rel;
            String realRel = view.rel(m.dest);
            if (exists && owner == null && ACCOUNT_FILES.contains(realRel)
                    && Files.isRegularFile(m.dest, LinkOption.NOFOLLOW_LINKS) && !m.md5.equals(md5Hex(m.dest))) {
                try {
                    m.accountBase = Files.readAllBytes(m.dest);
                } catch (IOException e) {
                    throw refuse(abs + ": " + e.getMessage());
                }
                return;
            }
            if (!configProtect.isProtected(abs)) return;
            String destMd5 = null, destLink = null;
            if (exists) {
                if (Files.isSymbolicLink(m.dest)) {
                    try {
                        destLink = Files.readSymbolicLink(m.dest).toString();
                    } catch (IOException e) {
                        throw refuse(abs + ": " + e.getMessage());
                    }
                } else {
                    destMd5 = md5Hex(m.dest);
                }
            }
            boolean protectedFile = true, moveMe = true, force = false;
            ContentsEntry known = installedEntry(abs);
            if (known != null) {
                if (!exists) {
                    force = true;
                } else if (options.protectIfModified()) {
                    if (known.type() == ContentsEntry.Type.OBJ && known.md5().equals(destMd5)) protectedFile = false;
                    else if (known.type() == ContentsEntry.Type.SYM && known.target().equals(destLink)) protectedFile = false;
                }
            }
            if (protectedFile && exists) {
                if (m.md5.equals(destMd5)) {
                    protectedFile = false;
                } else if (m.md5.equals(configMemory.get(abs))) {
                    moveMe = protectedFile = false;
                }
                if (protectedFile && destLink != null) force = true;
                if (moveMe) {
                    configMemory.put(abs, m.md5);
                    memoryChanged = true;
                } else if (destMd5 != null && destMd5.equals(configMemory.get(abs))) {
                    configMemory.remove(abs);
                    memoryChanged = true;
                }
            }
            if (protectedFile && moveMe && (exists || force)) {
                m.protect = Protect.CFG;
            } else if (!moveMe) {
                m.protect = Protect.SKIP;
            }
        }

        private ContentsEntry installedEntry(String abs) {
            if (installed == null) return null;
            if (installedContents == null) {
                installedContents = new HashMap<>();
                for (ContentsEntry c : installed.contents()) installedContents.put(c.path(), c);
            }
            return installedContents.get(abs);
        }

        private boolean phasesRun() {
            return !options.noPhases() && options.phaseRunner() != null;
        }

        /**
         * Before anything is planned: pkg_pretend and pkg_setup, and for a package with pkg_preinst its image
         * extracted under the build directory, the phase run on it (D), and the edited image as the one to merge.
         * Account packages keep their native handling inside the merge. Returns the extracted image, or null.
         */
        private PhaseImage earlyPhases() {
            if (accountPkg || !phasesRun()) return null;
            for (String ph : List.of("pretend", "setup")) {
                if (defined.contains(ph)) runPhase("pkg_" + ph, null);
                done.add(ph);
            }
            if (!defined.contains("preinst")) return null;
            if (!options.phaseRunner().needsImage(packageRef(), "pkg_preinst")) {
                // the phase never looks at D: merged straight from the package, no copy of the image on disk
                try {
                    runPhase("pkg_preinst", Files.createDirectories(buildDir().resolve("image/.empty")));
                } catch (IOException e) {
                    throw new StageforgeException(cpv + ": cannot prepare pkg_preinst: " + e.getMessage(), e);
                }
                done.add("preinst");
                return null;
            }
            PhaseImage img;
            Path dir = null;
            try {
                dir = buildDir().resolve("image").resolve(category).resolve(pf);
                img = PhaseImage.extract(pkg, dir, cpv, options.posix().privileged(), options.posix());
            } catch (IOException | RuntimeException e) {
                org.stageforge.util.Dirs.deleteTreeOrFail(dir);
                if (e instanceof RuntimeException re) throw re;
                throw new StageforgeException(cpv + ": cannot extract the image for pkg_preinst: " + e.getMessage(), e);
            }
            try {
                img.applyIntents(runPhase("pkg_preinst", img.dir()));
            } catch (RuntimeException e) {
                org.stageforge.util.Dirs.deleteTreeOrFail(img.dir());
                throw e;
            }
            done.add("preinst");
            image = img::stream;
            imageIsPackage = false;
            imageDir = img.dir();
            return img;
        }

        private void preinst() throws IOException {
            if (accountPkg) {
                absent.clear();
                createAccount();
            }
            for (String ph : List.of("pretend", "setup", "preinst")) {
                if (!defined.contains(ph) || done.contains(ph)) continue;
                if (accountPkg && !ph.equals("setup")) {
                    phases.add("pkg_" + ph + " (native accounts)");
                } else {
                    if (phasesRun()) absent.clear(); // the phase may create anything in ROOT
                    runPhase("pkg_" + ph, null);
                }
            }
        }

        /**
         * pkg_postinst, with the package already in the VDB. Account entries present before the phase survive it
         * (baselayout's copies of passwd/group from /usr/share/baselayout would otherwise drop them), and the phase's
         * ownership/mode/device changes go to the file table.
         */
        private void postinst() throws IOException {
            if (!defined.contains("postinst")) return;
            if (category.equals("acct-user")) {
                phases.add("pkg_postinst (native accounts)");
                return;
            }
            Map<String, byte[]> accounts = readAccountFiles();
            List<FileIntent> intents = runPhase("pkg_postinst", null);
            if (!phasesRun()) return;
            for (var a : accounts.entrySet()) {
                Path p = root.resolve(a.getKey());
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                byte[] now = Files.readAllBytes(p);
                byte[] merged = AccountNames.mergeLines(now, a.getValue());
                if (!java.util.Arrays.equals(now, merged)) {
                    Files.write(p, merged, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                }
            }
            view.clear();
            applyRootIntents(intents);
            table.appendChanges(root); // outside the package's step: it is committed, and so is this
            table.commitChanges();
        }

        private Map<String, byte[]> readAccountFiles() throws IOException {
            Map<String, byte[]> out = new TreeMap<>();
            for (String f : ACCOUNT_FILES) {
                Path p = root.resolve(f);
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) out.put(f, Files.readAllBytes(p));
            }
            return out;
        }

        private PhaseRunner.PackageRef packageRef() {
            return new PhaseRunner.PackageRef(cpv, field("SLOT").trim(), meta.environmentBz2(),
                    List.of(field("DEFINED_PHASES").trim().split("\\s+")));
        }

        /** Runs a phase (or lists it as skipped); returns the file changes it made or asked for. */
        private List<FileIntent> runPhase(String phase, Path imageDir) {
            PhaseRunner r = options.phaseRunner();
            if (!phasesRun()) {
                phases.add(phase + " (skipped)");
                return List.of();
            }
            Map<String, String> env = new LinkedHashMap<>();
            env.put("ROOT", root.toString());
            env.put("EROOT", root + "/");
            env.put("EPREFIX", "");
            env.put("CATEGORY", category);
            env.put("PF", pf);
            env.put("SLOT", field("SLOT").trim());
            env.put("EBUILD_PHASE", phase.substring(4));
            env.put("REPLACING_VERSIONS", installed == null ? ""
                    : org.stageforge.atom.Cpv.parse(installed.cpv()).version().toString());
            if (imageDir != null) env.put("D", imageDir.toString());
            PhaseRunner.Result res = r.runPhase(packageRef(), phase, env);
            if (res.exitStatus() != 0) {
                throw new StageforgeException(cpv + ": " + phase + " failed with status " + res.exitStatus()
                        + (res.log() == null ? "" : " (log: " + res.log() + ")"));
            }
            phases.add(phase);
            if (!phase.equals("pkg_postinst")) applyRootIntents(res.intents());
            return res.intents();
        }

        /**
         * A phase's ownership, mode and device changes to ROOT, into the file table (the disk already has what the
         * phase could do; device nodes are made here when the merge runs as root, else placeholders).
         */
        private void applyRootIntents(List<FileIntent> intents) {
            for (FileIntent i : intents) {
                if (i.scope() != FileIntent.Scope.ROOT) continue;
                String rel = String.join("/", PathSanitizer.components(i.path(), cpv));
                if (rel.isEmpty()) continue;
                try {
                    Path p = view.real(rel);
                    String k = view.rel(p);
                    FileTable.Entry cur = table.get(k);
                    boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
                    if (cur == null && exists) cur = diskEntry(p);
                    if (i.op() == FileIntent.Op.MKNOD) {
                        String[] f = i.value().split(" ");
                        char type = f[0].equals("b") ? 'b' : f[0].equals("p") ? 'p' : 'c';
                        int mode = f.length > 3 && !f[3].equals("-") ? Integer.parseInt(f[3], 8) & 07777
                                : cur != null ? cur.mode() : 0644;
                        int major = type == 'p' ? 0 : Integer.parseInt(f[1]);
                        int minor = type == 'p' ? 0 : Integer.parseInt(f[2]);
                        if (type != 'p') {
                            if (exists) Files.delete(p);
                            if (materialize) options.posix().mknod(p, type, 0600, major, minor);
                            else Files.createFile(p);
                            setMode(p, mode, false);
                        }
                        table.put(k, new FileTable.Entry(type, mode, cur == null ? 0 : cur.uid(),
                                cur == null ? 0 : cur.gid(), major, minor, null));
                        continue;
                    }
                    if (cur == null) continue; // the phase removed what it changed
                    switch (i.op()) {
                        case CHOWN -> {
                            String[] f = i.value().split(":");
                            long u = Long.parseLong(f[0]), g = f.length > 1 ? Long.parseLong(f[1]) : -1;
                            table.put(k, new FileTable.Entry(cur.type(), cur.mode(), u >= 0 ? u : cur.uid(),
                                    g >= 0 ? g : cur.gid(), cur.major(), cur.minor(), cur.xattrs()));
                        }
                        case CHMOD -> table.put(k, new FileTable.Entry(cur.type(), Integer.parseInt(i.value(), 8) & 07777,
                                cur.uid(), cur.gid(), cur.major(), cur.minor(), cur.xattrs()));
                        case SETCAP -> {
                            var x = FileCaps.with(cur.xattrs(), i.value());
                            byte[] v = x.get(FileCaps.XATTR);
                            if (materialize && v != null) options.posix().lsetxattr(p, FileCaps.XATTR, v);
                            table.put(k, new FileTable.Entry(cur.type(), cur.mode(), cur.uid(), cur.gid(), cur.major(),
                                    cur.minor(), x));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    throw new StageforgeException(cpv + ": cannot apply " + phaseOp(i) + ": " + e.getMessage(), e);
                }
            }
        }

        private String phaseOp(FileIntent i) {
            return i.op().name().toLowerCase(java.util.Locale.ROOT) + " " + i.value() + " of /" + i.path();
        }

        /** A path's attributes as the disk has them; disk owners count only when the process really is root. */
        private FileTable.Entry diskEntry(Path p) throws IOException {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            char type = switch (mode & 0170000) {
                case 0040000 -> 'd';
                case 0120000 -> 'l';
                case 0010000 -> 'p';
                default -> 'f';
            };
            boolean real = options.posix().privileged();
            return new FileTable.Entry(type, type == 'l' ? 0777 : mode & 07777,
                    real ? ((Number) a.get("uid")).longValue() : 0, real ? ((Number) a.get("gid")).longValue() : 0,
                    0, 0, null);
        }

        private void createAccount() throws IOException {
            byte[] envBz2 = meta.environmentBz2();
            if (envBz2 == null) throw refuse("account package without environment.bz2");
            DeclareDump env = DeclareDump.parseBzip2(cpv + " environment.bz2", new ByteArrayInputStream(envBz2));
            journaledDirs(journal, root.resolve("etc")); // so a rollback leaves no etc/ the root did not have
            for (String f : ACCOUNT_FILES) {
                journal.saveCopy(root.resolve(f));
                journal.saveCopy(root.resolve(f + "-"));
            }
            Accounts acc = Accounts.open(root, options.accountsNow());
            if (category.equals("acct-group")) {
                acc.addGroup(Accounts.Group.fromEnvironment(cpv, env));
                return;
            }
            Accounts.Outcome o = acc.addUser(Accounts.User.fromEnvironment(cpv, env));
            o.home().ifPresent(h -> {
                Member m = byRel.get(h.path().replaceAll("^/+", "").replaceAll("/+$", ""));
                if (m == null || m.masked) return;
                m.uid = h.uid();
                if (h.gid() >= 0) m.gid = h.gid();
                m.mode = h.mode();
            });
        }

        /** Puts the planned members into the root, in image order (file content renamed from the journal). */
        private void write() {
            Map<String, Path> written = new HashMap<>();
            for (Member m : members) {
                try {
                    write(m, written);
                } catch (IOException e) {
                    throw new StageforgeException(pkg.file().getFileName() + ": " + m.entry.path() + ": "
                            + e.getMessage(), e);
                }
            }
        }

        private void write(Member m, Map<String, Path> written) throws IOException {
            String rel = m.rel;
            if (m.masked) {
                String to = hardlinkRedirect.get(rel);
                if (to != null) {
                    Path w = writeFile(byRel.get(to));
                    written.put(rel, w);
                    written.put(to, w);
                }
                return;
            }
            beforeWrite.accept(rel);
            TarEntry e = m.entry;
            switch (e.type()) {
                case DIR -> writeDir(m);
                case FILE -> written.put(rel, writeFile(m));
                case HARDLINK -> {
                    if (written.containsKey(rel)) return;
                    String target = String.join("/", PathSanitizer.components(e.linkTarget(), cpv));
                    if (!written.containsKey(target)) {
                        throw refuse("hard link /" + rel + " comes before its target /" + target);
                    }
                    Path t = written.get(target);
                    if (t == null) return; // the target was a protected file kept as it is: so is the link
                    replaceExisting(m.dest);
                    journal.creating(m.dest);
                    Files.createLink(m.dest, t);
                    written.put(rel, m.dest);
                }
                case SYMLINK -> {
                    replaceExisting(m.dest);
                    journal.creating(m.dest);
                    Files.createSymbolicLink(m.dest, Path.of(e.linkTarget()));
                    if (materialize) options.posix().lchown(m.dest, m.uid, m.gid);
                    options.posix().lutimes(m.dest, e.mtime());
                    table.put(view.rel(m.dest), new FileTable.Entry('l', 0777, m.uid, m.gid, 0, 0, null));
                }
                case FIFO, CHAR, BLOCK -> writeNode(m);
            }
        }

        private void ensureParent(Path dest) throws IOException {
            Path parent = dest.getParent();
            if (knownDirs.contains(parent)) return;
            if (!Files.isDirectory(parent)) {
                ensureParent(parent);
                journal.creating(parent);
                Files.createDirectory(parent);
                absent.remove(parent); // an image may list a file before its directory
                setMode(parent, 0755, true);
                table.put(view.rel(parent), new FileTable.Entry('d', 0755, 0, 0, 0, 0, null));
            }
            knownDirs.add(parent);
        }

        private void writeDir(Member m) throws IOException {
            if (!absent.remove(m.dest) && Files.exists(m.dest, LinkOption.NOFOLLOW_LINKS)) return;
            ensureParent(m.dest);
            journal.creating(m.dest);
            Files.createDirectory(m.dest);
            if (materialize) options.posix().lchown(m.dest, m.uid, m.gid);
            setMode(m.dest, m.mode, true);
            table.put(view.rel(m.dest), new FileTable.Entry('d', m.mode, m.uid, m.gid, 0, 0, m.entry.xattrs()));
            if (materialize) setXattrs(m);
            knownDirs.add(m.dest);
        }

        private void replaceExisting(Path dest) throws IOException {
            ensureParent(dest);
            if (!absent.remove(dest) && Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) journal.moveAway(dest);
        }

        /** Puts a regular file in place; returns where it went ({@code ._cfg} name for protected updates), null if kept. */
        private Path writeFile(Member m) throws IOException {
            Path dest = m.dest;
            if (m.protect == Protect.SKIP) return null;
            if (m.protect == Protect.CFG) {
                dest = ConfigProtect.protectName(m.dest, m.md5, MergeEngine::md5Hex);
                configUpdates.add("/" + view.rel(dest));
            }
            replaceExisting(dest);
            journal.creating(dest);
            // a spool renamed into place keeps the owner and mode it was created with: set only what differs
            boolean renamed = false;
            if (m.accountBase != null) {
                Files.write(dest, AccountNames.mergeLines(m.content != null ? m.content : Files.readAllBytes(m.spool),
                        m.accountBase), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } else if (m.content != null) {
                // created with the permission bits, but a default ACL or setgid directory may change mode and group
                try (var ch = Files.newByteChannel(dest, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                        org.stageforge.util.Modes.permissions(diskMode(m.mode, false) & 0777)))) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m.content);
                    while (b.hasRemaining()) ch.write(b);
                }
                m.content = null;
            } else {
                // a rename (the content was written once, while planning); dest was just moved away if it existed
                try {
                    Files.move(m.spool, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    renamed = true;
                } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                    Files.move(m.spool, dest); // another filesystem mounted inside the root: copied
                }
            }
            if (materialize && !(renamed && m.uid == m.spoolUid && m.gid == m.spoolGid)) {
                options.posix().lchown(dest, m.uid, m.gid);
            }
            if (!renamed || diskMode(m.mode, false) != m.spoolMode) setMode(dest, m.mode, false);
            if (materialize) setXattrs(m, dest);
            options.posix().lutimes(dest, m.entry.mtime());
            table.put(view.rel(dest), new FileTable.Entry('f', m.mode, m.uid, m.gid, 0, 0, m.entry.xattrs()));
            return dest;
        }

        private void writeNode(Member m) throws IOException {
            replaceExisting(m.dest);
            char type = switch (m.entry.type()) {
                case FIFO -> 'p';
                case CHAR -> 'c';
                default -> 'b';
            };
            journal.creating(m.dest);
            if (type == 'p') {
                options.posix().mkfifo(m.dest, 0600);
            } else if (materialize) {
                options.posix().mknod(m.dest, type, 0600, m.entry.devMajor(), m.entry.devMinor());
            } else {
                Files.write(m.dest, new byte[0], StandardOpenOption.CREATE_NEW); // placeholder: the table has the truth
            }
            if (materialize) options.posix().lchown(m.dest, m.uid, m.gid);
            setMode(m.dest, m.mode, false);
            options.posix().lutimes(m.dest, m.entry.mtime()); // never open a fifo: that blocks
            table.put(view.rel(m.dest), new FileTable.Entry(type, m.mode, m.uid, m.gid, m.entry.devMajor(),
                    m.entry.devMinor(), m.entry.xattrs()));
        }

        private void setXattrs(Member m) throws IOException {
            setXattrs(m, m.dest);
        }

        private void setXattrs(Member m, Path dest) throws IOException {
            for (var x : m.entry.xattrs().entrySet()) options.posix().lsetxattr(dest, x.getKey(), x.getValue());
        }

        /** The CONTENTS of the new package, in image order. */
        private List<ContentsEntry> contents() {
            List<ContentsEntry> out = new ArrayList<>();
            for (Member m : members) {
                if (m.masked) continue;
                String abs = "/" + m.rel;
                out.add(switch (m.entry.type()) {
                    case DIR -> ContentsEntry.dir(abs);
                    case FILE, HARDLINK -> ContentsEntry.obj(abs, m.md5, m.entry.mtime());
                    case SYMLINK -> ContentsEntry.sym(abs, m.entry.linkTarget(), m.entry.mtime());
                    case FIFO -> ContentsEntry.fif(abs);
                    case CHAR, BLOCK -> ContentsEntry.dev(abs);
                });
            }
            return out;
        }

        /** Removes what the replaced version installed and the new one does not (Portage's unmerge of the old). */
        private void unmergeStale() throws IOException {
            if (installed == null) return;
            Set<String> keep = new HashSet<>();
            for (Member m : members) {
                if (!m.masked) keep.add(view.rel(m.dest));
            }
            List<ContentsEntry> dirs = new ArrayList<>();
            for (ContentsEntry c : installed.contents()) {
                String k = OwnerIndex.key(view, c.path());
                if (k == null || keep.contains(k)) continue;
                if (c.type() == ContentsEntry.Type.DIR) {
                    dirs.add(c);
                    continue;
                }
                String o = owners.owner(k);
                if (o != null && !o.equals(installed.cpv())) continue; // now owned by another package
                Path p = view.root().resolve(k);
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) continue;
                if (c.type() == ContentsEntry.Type.OBJ) {
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                    boolean modified = !c.md5().equals(md5Hex(p));
                    if (configProtect.isProtected(c.path()) && (modified || !options.protectIfModified())) continue;
                } else if (c.type() == ContentsEntry.Type.SYM) {
                    if (!Files.isSymbolicLink(p) || !Files.readSymbolicLink(p).toString().equals(c.target())) continue;
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                journal.moveAway(p);
                table.remove(k);
                removed.add(c.path());
            }
            dirs.sort((a, b) -> b.path().compareTo(a.path()));
            for (ContentsEntry c : dirs) {
                String k = OwnerIndex.key(view, c.path());
                Path p = view.root().resolve(k);
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                try (var ds = Files.newDirectoryStream(p)) {
                    if (ds.iterator().hasNext()) continue;
                }
                journal.removingDir(p, RootFiles.mode(p));
                Files.delete(p);
                table.remove(k);
                removed.add(c.path());
            }
        }

        /** VDB entry, owner index, config memory, world file, file table. */
        private void record() throws IOException {
            List<ContentsEntry> contents = contents();
            contentsCount = contents.size();
            VdbEntry.Builder b = VdbEntry.builder(category, pf);
            for (String k : meta.keys()) b.file(k, meta.raw(k));
            b.contents(contents);
            String mask = options.installMask().toString().trim();
            if (!mask.isEmpty()) b.field("INSTALL_MASK", String.join(" ", mask.split("\\s+")));
            b.field("BINPKGMD5", binpkgMd5 != null ? binpkgMd5 : fileMd5(pkg.file()));
            Path counterFile = root.resolve(Vdb.COUNTER_PATH);
            journaledDirs(journal, counterFile.getParent());
            journal.saveCopy(counterFile);
            // only the batch's first package reads every installed COUNTER: the batch holds the root
            long counter = lastCounter == null ? vdb.nextCounter() : vdb.nextCounterAfter(lastCounter);
            lastCounter = counter;
            b.counter(counter);
            VdbEntry entry = b.build();
            Path entryDir = root.resolve(Vdb.VDB_PATH).resolve(category);
            journaledDirs(journal, entryDir);
            entryDir = entryDir.resolve(pf);
            if (Files.exists(entryDir, LinkOption.NOFOLLOW_LINKS)) journal.moveAway(entryDir);
            journal.creatingTree(entryDir);
            // a reproducible mtime (BUILD_TIME), so identical installs give identical archives (mtimes are clamped to
            // at least BUILD_TIME when packing), with the metadata file's #dir_mtime stamp agreeing
            Vdb.write(root, entry, entry.buildTime().orElse(0));
            if (installed != null && !installed.cpv().equals(cpv)) {
                String[] old = installed.cpv().split("/", 2);
                journal.moveAway(root.resolve(Vdb.VDB_PATH).resolve(old[0]).resolve(old[1]));
            }
            if (memoryChanged) {
                Path mem = root.resolve(ConfigProtect.MEMORY);
                journal.saveCopy(mem);
                RootFiles.writeAtomic(mem, ConfigProtect.renderMemory(configMemory), 0660, null);
            }
            if (item.worldAtom() != null && !options.oneshot()) {
                WorldFile w = WorldFile.read(root);
                if (!w.atoms().contains(item.worldAtom())) {
                    journal.saveCopy(root.resolve(WorldFile.WORLD));
                    journal.saveCopy(root.resolve(WorldFile.WORLD_SETS));
                    w.withAtom(item.worldAtom()).write(root);
                }
            }
            journal.appending(root.resolve(FileTable.DELTA));
            table.appendChanges(root);
        }
    }

    private static String fileMd5(Path file) {
        String s = md5Hex(file);
        if (s == null) throw new StageforgeException("cannot read " + file);
        return s;
    }

    /** Reads a root's account database names, and merges package account files with existing ones. */
    static final class AccountNames {
        private AccountNames() {}

        /** name to numeric ID (third field) of {@code etc/passwd} or {@code etc/group}; empty when absent. */
        static Map<String, Long> read(Path root, String file) {
            Map<String, Long> out = new HashMap<>();
            Path p = RootFiles.resolve(root, file);
            try {
                String text = RootFiles.readText(p);
                if (text == null) return out;
                for (String line : text.split("\n")) {
                    String[] f = line.split(":", -1);
                    if (f.length < 3 || f[0].isEmpty() || f[0].startsWith("#")) continue;
                    try {
                        out.putIfAbsent(f[0], Long.parseLong(f[2]));
                    } catch (NumberFormatException ignored) {
                        // a malformed line names no usable ID
                    }
                }
            } catch (IOException | StageforgeException e) {
                return out;
            }
            return out;
        }

        /**
         * The package's account file with the entries of {@code existing} it lacks appended (in their order), so
         * accounts created before the file was installed survive.
         */
        static byte[] mergeLines(byte[] pkgFile, byte[] existing) {
            String base = new String(pkgFile, StandardCharsets.UTF_8);
            Set<String> names = new LinkedHashSet<>();
            for (String line : base.split("\n")) {
                int c = line.indexOf(':');
                if (c > 0 && !line.startsWith("#")) names.add(line.substring(0, c));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(pkgFile);
            if (pkgFile.length > 0 && pkgFile[pkgFile.length - 1] != '\n') out.write('\n');
            for (String line : new String(existing, StandardCharsets.UTF_8).split("\n")) {
                int c = line.indexOf(':');
                if (c <= 0 || line.startsWith("#") || names.contains(line.substring(0, c))) continue;
                out.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return out.toByteArray();
        }
    }
}

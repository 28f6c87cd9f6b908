package org.stageforge.vdb;

import org.stageforge.util.Dirs;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.index.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The installed-package database of a root: {@code var/db/pkg/CAT/PF/}, plus Portage's global
 * COUNTER file {@code var/cache/edb/counter}.
 */
public final class Vdb {

    public static final String VDB_PATH = "var/db/pkg";
    public static final String COUNTER_PATH = "var/cache/edb/counter";

    /**
     * The fields Portage's vardbapi caches and therefore consolidates into the {@code metadata}
     * file; the others (FEATURES, CFLAGS, INHERITED, NEEDED, ...) stay in their own files only.
     */
    public static final Set<String> METADATA_FIELDS = Set.of(
            "BDEPEND", "BUILD_ID", "BUILD_TIME", "CHOST", "COUNTER", "DEFINED_PHASES", "DEPEND",
            "DESCRIPTION", "EAPI", "HOMEPAGE", "IDEPEND", "IUSE", "KEYWORDS", "LICENSE", "PDEPEND",
            "PROPERTIES", "PROVIDES", "RDEPEND", "REQUIRES", "RESTRICT", "SLOT", "USE", "repository");

    // PMS package version at the end of a PF: the package name is what precedes it
    private static final Pattern PF_VERSION = Pattern.compile(
            "-\\d+(\\.\\d+)*[a-z]?((_alpha|_beta|_pre|_rc|_p)\\d*)*(-r\\d+)?$");

    private static final Set<java.nio.file.attribute.PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path root;

    private Vdb(Path root) {
        this.root = root;
    }

    /** The database of the root at {@code root} (it need not exist yet). */
    public static Vdb open(Path root) {
        return new Vdb(root);
    }

    public Path root() { return root; }

    public Path dir() { return root.resolve(VDB_PATH); }

    /** Every installed package "CAT/PF", sorted. In-progress and hidden directories are skipped. */
    public List<String> cpvs() {
        List<String> out = new ArrayList<>();
        for (Path cat : Dirs.sortedChildren(dir())) {
            String c = cat.getFileName().toString();
            if (hidden(c) || !Files.isDirectory(cat, LinkOption.NOFOLLOW_LINKS)) continue;
            for (Path pkg : Dirs.sortedChildren(cat)) {
                String p = pkg.getFileName().toString();
                if (hidden(p) || !Files.isDirectory(pkg, LinkOption.NOFOLLOW_LINKS)) continue;
                out.add(c + "/" + p);
            }
        }
        out.sort(null);
        return out;
    }

    /** Names Portage's vardbapi skips: dot files, in-progress merges, CVS and lost+found. */
    private static boolean hidden(String name) {
        return name.startsWith(".") || name.startsWith("-MERGING-") || name.equals("CVS") || name.equals("lost+found");
    }

    /** Every installed package with all its files. */
    public List<VdbEntry> installed() {
        return cpvs().stream().flatMap(c -> get(c).stream()).toList();
    }

    /** The installed package "CAT/PF", if present. */
    public Optional<VdbEntry> get(String cpv) {
        String[] cp = split(cpv);
        Path d = dir().resolve(cp[0]).resolve(cp[1]);
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        TreeMap<String, byte[]> files = new TreeMap<>();
        for (Path f : Dirs.sortedChildren(d)) {
            String name = f.getFileName().toString();
            if (name.startsWith(".")) continue;
            if (Files.isSymbolicLink(f)) throw new ParseException(f.toString(), 0, 0, "VDB file is a symbolic link");
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) continue;
            try {
                files.put(name, Files.readAllBytes(f));
            } catch (IOException e) {
                throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), e);
            }
        }
        return Optional.of(new VdbEntry(cp[0], cp[1], files));
    }

    /** Installed packages of "category/name", sorted by PF. */
    public List<VdbEntry> findByCp(String cp) {
        String[] parts = split(cp);
        return cpvs().stream()
                .filter(c -> c.startsWith(parts[0] + "/") && packageName(c.substring(parts[0].length() + 1)).equals(parts[1]))
                .flatMap(c -> get(c).stream())
                .toList();
    }

    /** The package name of a PF ("foo-bar-1.2-r3" -> "foo-bar"); the PF itself if it has no version. */
    static String packageName(String pf) {
        var m = PF_VERSION.matcher(pf);
        return m.find() && m.start() > 0 ? pf.substring(0, m.start()) : pf;
    }

    /**
     * Writes an entry as Portage does: every file of the entry, then the consolidated
     * {@code metadata} file (regenerated from the fields, stamped with the directory's mtime in
     * nanoseconds). Everything is written into a hidden directory beside the target and renamed
     * into place, so no half-written entry is ever visible; an existing entry of the same PF is
     * replaced.
     */
    public static void write(Path root, VdbEntry entry) {
        write(root, entry, null);
    }

    /**
     * As {@link #write(Path, VdbEntry)}, but with the entry directory's mtime given ({@code dirMtime} seconds, set
     * once the entry is in place) so {@code metadata} is written once with its final {@code #dir_mtime} stamp;
     * null: stamped with the mtime the directory happens to have.
     */
    public static void write(Path root, VdbEntry entry, Long dirMtime) {
        Path catDir = AtomicFiles.directoryUnder(root, VDB_PATH + "/" + entry.category());
        Path target = catDir.resolve(entry.pf());
        Path tmp = null;
        Path old = null;
        try {
            tmp = Files.createTempDirectory(catDir, ".new-" + entry.pf() + "-");
            // temporary directories are created 0700; Portage's entries are 0755 with 0644 files
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            // files are created 0666 less the umask: chmod only when that is not 0644 (one check, not one per file)
            boolean chmod = true;
            for (var f : entry.files().entrySet()) {
                if (f.getKey().equals(VdbEntry.METADATA)) continue;
                Path p = tmp.resolve(f.getKey());
                Files.write(p, f.getValue(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                if (chmod && !Files.getPosixFilePermissions(p).equals(FILE_MODE)) {
                    Files.setPosixFilePermissions(p, FILE_MODE);
                } else {
                    chmod = false;
                }
            }
            String body = entry.metadataBody();
            if (!body.isEmpty()) {
                Path meta = tmp.resolve(VdbEntry.METADATA);
                if (dirMtime != null) {
                    Files.writeString(meta, body + "#dir_mtime=" + dirMtime * 1_000_000_000L + "\n",
                            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    if (chmod) Files.setPosixFilePermissions(meta, FILE_MODE);
                } else {
                    Files.writeString(meta, body, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    Files.setPosixFilePermissions(meta, FILE_MODE);
                    // stamp after the last change to the directory: appending changes only the file
                    long ns = Files.getLastModifiedTime(tmp).to(TimeUnit.NANOSECONDS);
                    Files.writeString(meta, "#dir_mtime=" + ns + "\n", StandardOpenOption.APPEND);
                }
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                old = catDir.resolve(".old-" + entry.pf() + "-" + Long.toHexString(System.nanoTime()));
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            if (dirMtime != null) Files.setLastModifiedTime(target, FileTime.fromMillis(dirMtime * 1000));
        } catch (IOException e) {
            throw new StageforgeException("cannot write VDB entry " + entry.cpv() + " under " + root + ": " + e.getMessage(), e);
        } finally {
            org.stageforge.util.Dirs.deleteTreeOrFail(tmp);
            org.stageforge.util.Dirs.deleteTreeOrFail(old);
        }
    }

    /** Removes an installed package (renamed away first, so it disappears at once). */
    public static boolean remove(Path root, String cpv) {
        String[] cp = split(cpv);
        Path catDir = root;
        for (String part : (VDB_PATH + "/" + cp[0]).split("/")) {
            catDir = catDir.resolve(part);
            // removing through a link planted in the root would delete outside it
            if (Files.isSymbolicLink(catDir)) {
                throw new StageforgeException("refusing to remove through symbolic link " + catDir, ExitCodes.VERIFY, null);
            }
        }
        Path target = catDir.resolve(cp[1]);
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) return false;
        Path gone = catDir.resolve(".del-" + cp[1] + "-" + Long.toHexString(System.nanoTime()));
        try {
            Files.move(target, gone, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StageforgeException("cannot remove VDB entry " + cpv + ": " + e.getMessage(), e);
        }
        org.stageforge.util.Dirs.deleteTreeOrFail(gone);
        return true;
    }

    /**
     * Allocates the next COUNTER as Portage does: one more than the larger of the global counter
     * file (-1 when missing or unreadable) and the highest COUNTER of any installed package (so 0
     * in an empty root), and records it in {@code var/cache/edb/counter} (no trailing newline).
     */
    public long nextCounter() {
        long counter = -1;
        Path file = root.resolve(COUNTER_PATH);
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (s.matches("-?\\d{1,18}")) counter = Long.parseLong(s);
        } catch (NoSuchFileException e) {
            // a fresh root has no counter file
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        for (String cpv : cpvs()) {
            Path c = dir().resolve(cpv).resolve("COUNTER");
            try {
                String s = Files.readString(c, StandardCharsets.UTF_8).strip();
                if (s.matches("\\d{1,18}")) counter = Math.max(counter, Long.parseLong(s));
            } catch (IOException e) {
                // Portage skips packages whose COUNTER cannot be read
            }
        }
        return nextCounterAfter(counter);
    }

    /**
     * Allocates {@code last + 1} and records it, without reading every installed package: for a caller that holds the
     * root (its lock) and knows {@code last} is the highest COUNTER in it, as a merge batch does after its first.
     */
    public long nextCounterAfter(long last) {
        long next = last + 1;
        AtomicFiles.directoryUnder(root, Path.of(COUNTER_PATH).getParent().toString());
        AtomicFiles.write(root.resolve(COUNTER_PATH), Long.toString(next).getBytes(StandardCharsets.UTF_8));
        return next;
    }

    /** Splits "CAT/PF" and refuses anything that could leave the database directory. */
    static String[] split(String cpv) {
        int slash = cpv.indexOf('/');
        if (slash < 0) throw ParseException.at("package", cpv, 0, "expected category/package");
        String cat = cpv.substring(0, slash);
        String pf = cpv.substring(slash + 1);
        checkName("category", cat);
        checkName("package", pf);
        return new String[] {cat, pf};
    }

    /** A single path component: not empty, ".", "..", hidden, and free of '/' and control characters. */
    static void checkName(String what, String name) {
        boolean ok = !name.isEmpty() && !name.equals(".") && !name.equals("..") && !name.startsWith(".")
                && name.chars().noneMatch(c -> c == '/' || c == '\\' || c < 0x20 || c == 0x7f);
        if (!ok) throw new StageforgeException("unsafe " + what + " name '" + Contents.abbreviate(name) + "'",
                ExitCodes.BAD_INPUT, null);
    }

}

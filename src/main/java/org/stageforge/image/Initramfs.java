package org.stageforge.image;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * stageforge's own initramfs: an uncompressed newc cpio (the kernel unpacks it as is) of files of the root, an init,
 * and kernel modules with a {@code modules.dep} for them and {@code initramfs.modules}, their load order.
 * Deterministic: members sorted by name, owners 0:0, mtimes SOURCE_DATE_EPOCH, inode numbers counted up; modes
 * are the root's permission bits.
 */
public final class Initramfs {
    /**
     * What goes in: {@code init} becomes {@code /init} (null when {@code extra} holds it); {@code files} (absolute
     * root paths; directories with their contents).
     */
    public record Contents(String init, List<String> files, List<KernelModules.Module> modules, String kernelVersion) {}

    /** A member made by stageforge itself (not a file of the root): its permission bits and bytes. */
    public record Extra(int mode, byte[] data) {}

    private record Member(int type, int mode, byte[] data, Path file) {}

    private Initramfs() {}

    /** Writes the initramfs of {@code c} from {@code root} to {@code out}. */
    public static void write(Path root, Contents c, long sde, Path out) throws IOException {
        write(root, c, Map.of(), sde, out);
    }

    /** As {@link #write(Path, Contents, long, Path)}, with members {@code extra} (cpio names without a leading slash) laid over. */
    public static void write(Path root, Contents c, Map<String, Extra> extra, long sde, Path out) throws IOException {
        Map<String, Member> m = new TreeMap<>();
        for (String f : c.files()) add(root, f.substring(1), m);
        if (c.init() != null) {
            Path init = inRoot(root, c.init().substring(1));
            if (!Files.isRegularFile(init, LinkOption.NOFOLLOW_LINKS)) throw bad(root, c.init(), "initramfs_init is not a regular file");
            m.put("init", new Member(CpioConstants.C_ISREG, 0755, null, init));
        }
        for (var e : extra.entrySet()) m.put(e.getKey(), new Member(CpioConstants.C_ISREG, e.getValue().mode(), e.getValue().data(), null));
        if (!m.containsKey("init")) throw new IllegalArgumentException("an initramfs without /init");
        if (!c.modules().isEmpty()) {
            String dir = "lib/modules/" + c.kernelVersion() + "/";
            StringBuilder dep = new StringBuilder();
            StringBuilder order = new StringBuilder();
            Map<String, String> relOf = new TreeMap<>();
            for (KernelModules.Module mod : c.modules()) relOf.put(mod.name(), mod.rel());
            for (KernelModules.Module mod : c.modules()) {
                m.put(dir + mod.rel(), new Member(CpioConstants.C_ISREG, 0644, mod.content(), null));
                dep.append(mod.rel()).append(':');
                for (String d : mod.depends()) if (relOf.containsKey(d)) dep.append(' ').append(relOf.get(d));
                dep.append('\n');
                order.append(mod.rel()).append('\n');
            }
            m.put(dir + "modules.dep", new Member(CpioConstants.C_ISREG, 0644, dep.toString().getBytes(StandardCharsets.UTF_8), null));
            m.put(dir + "initramfs.modules", new Member(CpioConstants.C_ISREG, 0644, order.toString().getBytes(StandardCharsets.UTF_8), null));
        }
        // every parent directory is a member of its own
        for (String name : List.copyOf(m.keySet())) {
            for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
                m.putIfAbsent(name.substring(0, i), new Member(CpioConstants.C_ISDIR, 0755, null, null));
            }
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
             CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(os, CpioConstants.FORMAT_NEW)) {
            long ino = 1;
            for (var e : m.entrySet()) {
                Member mb = e.getValue();
                byte[] data = mb.data() != null ? mb.data() : mb.file() != null ? Files.readAllBytes(mb.file()) : new byte[0];
                CpioArchiveEntry ce = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, e.getKey());
                ce.setMode(mb.type() | mb.mode());
                ce.setUID(0);
                ce.setGID(0);
                ce.setTime(sde);
                ce.setInode(ino++);
                ce.setNumberOfLinks(mb.type() == CpioConstants.C_ISDIR ? 2 : 1);
                ce.setSize(mb.type() == CpioConstants.C_ISDIR ? 0 : data.length);
                cpio.putArchiveEntry(ce);
                if (mb.type() != CpioConstants.C_ISDIR) cpio.write(data);
                cpio.closeArchiveEntry();
            }
            cpio.finish();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Adds root path {@code rel} (a directory with everything below it; symlinks as symlinks). */
    private static void add(Path root, String rel, Map<String, Member> m) throws IOException {
        Path p = inRoot(root, rel);
        if (Files.isSymbolicLink(p)) {
            m.put(rel, new Member(CpioConstants.C_ISLNK, 0777, Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8), null));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            m.put(rel, new Member(CpioConstants.C_ISDIR, perms(p), null, null));
            try (var s = Files.list(p)) {
                for (Path c : s.sorted().toList()) add(root, rel + "/" + c.getFileName(), m);
            }
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            m.put(rel, new Member(CpioConstants.C_ISREG, perms(p), null, p));
        } else {
            throw bad(root, "/" + rel, Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? "not a file, directory or symlink" : "not in the root");
        }
    }

    /** {@code rel} under {@code root} with no symlinked parent directory (a hostile package cannot point outside). */
    private static Path inRoot(Path root, String rel) throws IOException {
        Path p = root;
        String[] parts = rel.split("/");
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() || parts[i].equals(".") || parts[i].equals("..")) throw bad(root, "/" + rel, "not a plain path");
            p = p.resolve(parts[i]);
            if (i < parts.length - 1 && Files.isSymbolicLink(p)) throw bad(root, "/" + rel, "goes through a symlink");
        }
        return p;
    }

    private static int perms(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    }

    private static StageforgeException bad(Path root, String path, String why) {
        return new StageforgeException(root + ": initramfs: " + path + ": " + why, ExitCodes.BAD_INPUT, null);
    }
}

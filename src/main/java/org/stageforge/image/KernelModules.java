package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The kernel modules of {@code lib/modules/VERSION} a spec names, with everything they depend on, in load order
 * (dependencies first). Dependencies come from {@code modules.dep} when depmod made one, else from each module's
 * {@code .modinfo depends=} (a package's files before depmod ran). Modules built into the kernel
 * ({@code modules.builtin}) need nothing.
 */
public final class KernelModules {
    /**
     * One module to load.
     *
     * @param rel     its path under the modules directory, without a compression suffix ({@code kernel/fs/ext4/ext4.ko})
     * @param content the uncompressed module
     */
    public record Module(String name, String rel, byte[] content, List<String> depends) {}

    private KernelModules() {}

    /** {@code names} and their dependencies from {@code modulesDir}, dependencies first. */
    public static List<Module> resolve(Path modulesDir, List<String> names) throws IOException {
        Map<String, String> files = new TreeMap<>(); // module name -> path relative to modulesDir (as stored)
        try (var s = Files.walk(modulesDir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = modulesDir.relativize(p).toString();
                String base = p.getFileName().toString();
                int i = base.indexOf(".ko");
                if (i > 0 && (base.endsWith(".ko") || base.endsWith(".ko.xz") || base.endsWith(".ko.zst") || base.endsWith(".ko.gz"))) {
                    files.putIfAbsent(norm(base.substring(0, i)), rel);
                }
            }
        }
        Set<String> builtin = new HashSet<>();
        Path b = modulesDir.resolve("modules.builtin");
        if (Files.isRegularFile(b)) {
            for (String l : Files.readAllLines(b)) {
                String base = l.substring(l.lastIndexOf('/') + 1);
                if (base.endsWith(".ko")) builtin.add(norm(base.substring(0, base.length() - 3)));
            }
        }
        Map<String, List<String>> depFile = modulesDep(modulesDir);
        Map<String, Module> out = new LinkedHashMap<>();
        for (String n : names) add(norm(n), modulesDir, files, builtin, depFile, out, new ArrayList<>(), n);
        return List.copyOf(out.values());
    }

    private static void add(String name, Path dir, Map<String, String> files, Set<String> builtin, Map<String, List<String>> depFile,
                            Map<String, Module> out, List<String> chain, String asked) throws IOException {
        if (out.containsKey(name) || builtin.contains(name)) return;
        if (chain.contains(name)) throw bad(dir, "module dependency cycle: " + String.join(" -> ", chain) + " -> " + name);
        String rel = files.get(name);
        if (rel == null) {
            throw bad(dir, "kernel module '" + name + "' not found" + (chain.isEmpty() ? "" : " (needed by " + chain.get(chain.size() - 1) + ")"));
        }
        byte[] content = decompress(dir.resolve(rel));
        List<String> deps = depFile != null ? depFile.getOrDefault(name, List.of()) : modinfoDepends(content, dir.resolve(rel));
        chain.add(name);
        for (String d : deps) add(norm(d), dir, files, builtin, depFile, out, chain, asked);
        chain.remove(chain.size() - 1);
        String plain = rel.substring(0, rel.indexOf(".ko") + 3);
        out.put(name, new Module(name, plain, content, deps.stream().map(KernelModules::norm).toList()));
    }

    /** depmod's {@code modules.dep} as module name -> dependency names, or null without one. */
    private static Map<String, List<String>> modulesDep(Path dir) throws IOException {
        Path f = dir.resolve("modules.dep");
        if (!Files.isRegularFile(f)) return null;
        Map<String, List<String>> m = new TreeMap<>();
        for (String l : Files.readAllLines(f)) {
            int c = l.indexOf(':');
            if (c < 0) continue;
            List<String> deps = new ArrayList<>();
            for (String d : l.substring(c + 1).trim().split("\\s+")) if (!d.isEmpty()) deps.add(moduleName(d));
            m.put(moduleName(l.substring(0, c)), deps);
        }
        return m;
    }

    private static String moduleName(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        return norm(base.substring(0, base.indexOf(".ko") < 0 ? base.length() : base.indexOf(".ko")));
    }

    /** Module names treat '-' and '_' alike (as modprobe does). */
    static String norm(String n) {
        return n.replace('-', '_');
    }

    private static byte[] decompress(Path f) throws IOException {
        String n = f.getFileName().toString();
        if (n.endsWith(".ko")) return Files.readAllBytes(f);
        Compression c = n.endsWith(".xz") ? Compression.XZ : n.endsWith(".zst") ? Compression.ZSTD : Compression.GZIP;
        try (InputStream in = c.decompress(Files.newInputStream(f))) {
            return in.readAllBytes();
        }
    }

    /** The {@code depends=} value of an ELF64 module's {@code .modinfo} section. */
    static List<String> modinfoDepends(byte[] elf, Path file) {
        ByteBuffer bb = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || bb.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) throw bad(file, "not a little-endian ELF64 module");
        try {
            long shoff = bb.getLong(0x28);
            int shentsize = Short.toUnsignedInt(bb.getShort(0x3A));
            int shnum = Short.toUnsignedInt(bb.getShort(0x3C));
            int shstrndx = Short.toUnsignedInt(bb.getShort(0x3E));
            long strOff = bb.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18));
            for (int i = 0; i < shnum; i++) {
                int h = Math.toIntExact(shoff + (long) i * shentsize);
                if (!".modinfo".equals(cstring(elf, Math.toIntExact(strOff + Integer.toUnsignedLong(bb.getInt(h)))))) continue;
                int off = Math.toIntExact(bb.getLong(h + 0x18));
                int end = Math.addExact(off, Math.toIntExact(bb.getLong(h + 0x20)));
                for (int p = off; p < end; ) {
                    String kv = cstring(elf, p);
                    p += kv.getBytes(StandardCharsets.UTF_8).length + 1;
                    if (kv.startsWith("depends=")) {
                        String v = kv.substring(8);
                        return v.isEmpty() ? List.of() : List.of(v.split(","));
                    }
                }
                return List.of();
            }
        } catch (IndexOutOfBoundsException | ArithmeticException e) {
            throw bad(file, "damaged ELF module");
        }
        throw bad(file, "module without a .modinfo section");
    }

    private static String cstring(byte[] b, int off) {
        int e = off;
        while (b[e] != 0) e++;
        return new String(b, off, e - off, StandardCharsets.UTF_8);
    }

    private static StageforgeException bad(Path where, String why) {
        return new StageforgeException(where + ": " + why, ExitCodes.BAD_INPUT, null);
    }
}

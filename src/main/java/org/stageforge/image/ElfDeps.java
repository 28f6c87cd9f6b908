package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What programs of a root need to run from a copy of part of it (the controller's initramfs): each program's ELF
 * interpreter and {@code DT_NEEDED} libraries (read with binutils' {@code readelf}), recursively, every library
 * looked up as the loader does (the program's {@code DT_RUNPATH}/{@code DT_RPATH}, the directories of the root's
 * {@code /etc/ld.so.conf} and {@code /etc/ld.so.conf.d/*.conf}, then {@code /lib64}, {@code /usr/lib64}, {@code /lib},
 * {@code /usr/lib}). Paths are resolved inside the root only, and every symlink met on the way (a merged-/usr
 * {@code /lib64}, {@code libz.so.1 -> libz.so.1.2.13}) is a path of its own, so the copy resolves the same way.
 */
final class ElfDeps {
    private static final Pattern INTERP = Pattern.compile("\\[Requesting program interpreter: ([^\\]]+)\\]");
    private static final Pattern NEEDED = Pattern.compile("\\(NEEDED\\)\\s+Shared library: \\[([^\\]]+)\\]");
    private static final Pattern RUNPATH = Pattern.compile("\\((?:RUNPATH|RPATH)\\)\\s+Library r(?:un)?path: \\[([^\\]]+)\\]");
    private static final List<String> DEFAULT_DIRS = List.of("/lib64", "/usr/lib64", "/lib", "/usr/lib");

    private ElfDeps() {}

    /**
     * The root paths (absolute, sorted) that make {@code programs} and everything they load resolve in a copy: the
     * programs themselves, symlinks met, interpreters and libraries. Files that are not ELF are taken as they are.
     */
    static SortedSet<String> closure(Path root, List<String> programs) throws IOException {
        SortedSet<String> out = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>();
        for (String p : programs) todo.add(follow(root, p, out));
        Set<String> read = new HashSet<>();
        List<String> dirs = null;
        while (!todo.isEmpty()) {
            String real = todo.poll();
            if (!read.add(real) || !isElf(root.resolve(real.substring(1)))) continue;
            Tools.find("readelf", "binutils", "initramfs_controller (the libraries of " + real + ")");
            String info = Tools.run(List.of("readelf", "-W", "-l", "-d", root.resolve(real.substring(1)).toString()), Map.of(), null);
            Matcher m = INTERP.matcher(info);
            if (m.find()) todo.add(follow(root, m.group(1), out));
            List<String> search = new ArrayList<>();
            for (Matcher r = RUNPATH.matcher(info); r.find(); ) {
                for (String d : r.group(1).split(":")) search.add(d.replace("$ORIGIN", real.substring(0, real.lastIndexOf('/'))));
            }
            if (dirs == null) dirs = ldSoConf(root);
            search.addAll(dirs);
            for (Matcher n = NEEDED.matcher(info); n.find(); ) {
                todo.add(lookup(root, real, n.group(1), search, out));
            }
        }
        return out;
    }

    private static String lookup(Path root, String program, String lib, List<String> dirs, Set<String> out) throws IOException {
        if (lib.contains("/")) return follow(root, lib.startsWith("/") ? lib : program.substring(0, program.lastIndexOf('/') + 1) + lib, out);
        for (String d : dirs) {
            if (!d.startsWith("/")) continue;
            Set<String> met = new LinkedHashSet<>();
            String real;
            try {
                real = follow(root, d + "/" + lib, met);
            } catch (StageforgeException e) {
                continue;
            }
            out.addAll(met);
            return real;
        }
        throw new StageforgeException(root + ": initramfs_controller: " + program + " needs " + lib + ", which is in none of "
                + String.join(" ", new LinkedHashSet<>(dirs)) + " of the root", ExitCodes.BAD_INPUT, null);
    }

    /** The library directories the root's {@code ld.so.conf} and {@code ld.so.conf.d/*.conf} name, then the loader's defaults. */
    private static List<String> ldSoConf(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        Path conf = root.resolve("etc/ld.so.conf");
        if (Files.isRegularFile(conf, LinkOption.NOFOLLOW_LINKS)) files.add(conf);
        Path d = root.resolve("etc/ld.so.conf.d");
        if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(d)) {
                s.filter(f -> f.getFileName().toString().endsWith(".conf") && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                        .sorted().forEach(files::add);
            }
        }
        List<String> dirs = new ArrayList<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                String l = line.replaceAll("#.*", "").strip();
                // "include GLOB" lines name ld.so.conf.d, which is read anyway
                if (l.startsWith("/")) dirs.addAll(Arrays.asList(l.split("[\\s:,]+")));
            }
        }
        dirs.addAll(DEFAULT_DIRS);
        return dirs;
    }

    /**
     * Resolves {@code abs} inside {@code root} (an absolute symlink means the root's path, {@code ..} stops at the
     * root); adds every symlink met and the path it ends at to {@code out}; returns that path.
     */
    static String follow(Path root, String abs, Set<String> out) throws IOException {
        Deque<String> rest = new ArrayDeque<>(Arrays.asList(abs.split("/")));
        String cur = "";
        int links = 0;
        while (!rest.isEmpty()) {
            String n = rest.poll();
            if (n.isEmpty() || n.equals(".")) continue;
            if (n.equals("..")) {
                cur = cur.substring(0, Math.max(0, cur.lastIndexOf('/')));
                continue;
            }
            String next = cur + "/" + n;
            Path p = root.resolve(next.substring(1));
            if (Files.isSymbolicLink(p)) {
                if (++links > 40) throw bad(root, abs, "too many levels of symlinks");
                out.add(next);
                String target = Files.readSymbolicLink(p).toString();
                List<String> parts = Arrays.asList(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) rest.push(parts.get(i));
                if (target.startsWith("/")) cur = "";
            } else if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                cur = next;
            } else {
                throw bad(root, abs, "not in the root");
            }
        }
        if (cur.isEmpty()) throw bad(root, abs, "is the root itself");
        out.add(cur);
        return cur;
    }

    private static boolean isElf(Path f) throws IOException {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return false;
        try (InputStream in = Files.newInputStream(f)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
        }
    }

    private static StageforgeException bad(Path root, String path, String why) {
        return new StageforgeException(root + ": initramfs_controller: " + path + ": " + why, ExitCodes.BAD_INPUT, null);
    }
}

package org.stageforge.merge;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CONFIG_PROTECT / CONFIG_PROTECT_MASK decisions and Portage's config memory ({@code var/lib/portage/config}:
 * "absolute-path md5" per line, the last protected version merged for each file).
 *
 * <p>A path is protected when a CONFIG_PROTECT entry is a prefix of it (whole components) and no longer
 * CONFIG_PROTECT_MASK entry is (Portage's {@code ConfigProtect.isprotected}: the most specific entry wins).
 */
public final class ConfigProtect {
    public static final String MEMORY = "var/lib/portage/config";
    private static final Pattern CFG = Pattern.compile("\\._cfg(\\d{4})_(.*)");

    private final List<String> protect;
    private final List<String> mask;

    public ConfigProtect(String configProtect, String configProtectMask) {
        this.protect = dirs(configProtect);
        this.mask = dirs(configProtectMask);
    }

    private static List<String> dirs(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) return out;
        for (String t : value.trim().split("\\s+")) {
            if (t.isEmpty() || t.startsWith("-")) continue;
            String n = "/" + t.replaceAll("^/+", "").replaceAll("/+$", "");
            out.add(n.equals("/") ? "/" : n);
        }
        return out;
    }

    /** Whether absolute path {@code path} ({@code /etc/foo}) is config-protected. */
    public boolean isProtected(String path) {
        int best = -1;
        boolean result = false;
        for (String p : protect) {
            if (under(path, p) && p.length() > best) {
                best = p.length();
                result = true;
            }
        }
        for (String m : mask) {
            if (under(path, m) && m.length() >= best) {
                best = m.length();
                result = false;
            }
        }
        return result;
    }

    private static boolean under(String path, String dir) {
        if (dir.equals("/")) return true;
        return path.equals(dir) || path.startsWith(dir + "/");
    }

    /**
     * The {@code ._cfgNNNN_name} file to write a protected update to, as Portage's {@code new_protect_filename}: an
     * existing {@code ._cfg} file of that name with the same content ({@code md5Of} gives an existing file's md5)
     * is reused, otherwise the next number after the highest in use.
     */
    static Path protectName(Path dest, String newMd5, java.util.function.Function<Path, String> md5Of) throws IOException {
        String name = dest.getFileName().toString();
        int last = -1;
        Path reuse = null;
        try (var ds = Files.newDirectoryStream(dest.getParent())) {
            for (Path p : ds) {
                Matcher m = CFG.matcher(p.getFileName().toString());
                if (!m.matches() || !m.group(2).equals(name)) continue;
                int n = Integer.parseInt(m.group(1));
                if (n > last) {
                    last = n;
                    reuse = Files.isRegularFile(p) && newMd5.equals(md5Of.apply(p)) ? p : null;
                }
            }
        }
        if (reuse != null) return reuse;
        return dest.resolveSibling(String.format("._cfg%04d_%s", last + 1, name));
    }

    /** Reads the config memory of a root (path to md5). */
    static TreeMap<String, String> readMemory(Path root) {
        TreeMap<String, String> m = new TreeMap<>();
        Path f = root.resolve(MEMORY);
        try {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                int sp = line.lastIndexOf(' ');
                if (sp > 0) m.put(line.substring(0, sp), line.substring(sp + 1));
            }
        } catch (NoSuchFileException e) {
            return m;
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return m;
    }

    static byte[] renderMemory(TreeMap<String, String> memory) {
        StringBuilder sb = new StringBuilder();
        memory.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}

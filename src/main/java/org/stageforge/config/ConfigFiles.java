package org.stageforge.config;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Portage's way of reading line-based configuration: a path may be a file or a directory of files
 * (read recursively in sorted order, skipping names that start with {@code .} or end with {@code ~},
 * and VCS directories), comments start at the first word beginning with {@code #}.
 */
public final class ConfigFiles {
    private static final Set<String> VCS_DIRS = Set.of("CVS", "RCS", "SCCS", ".bzr", ".git", ".hg", ".svn");

    private ConfigFiles() {}

    /** One meaningful line: whitespace-normalised text, where it came from (1-based line). */
    public record Line(String text, Path file, int number) {
        public String origin() {
            return file + ":" + number;
        }
    }

    /** The regular files {@code path} stands for, in Portage's order; empty when it does not exist. */
    public static List<Path> fileList(Path path) {
        List<Path> out = new ArrayList<>();
        collect(path, out, new HashSet<>());
        return out;
    }

    private static void collect(Path path, List<Path> out, Set<Path> activeDirs) {
        Path name = path.getFileName();
        String fname = name == null ? "" : name.toString();
        if (Files.isDirectory(path)) {
            if (VCS_DIRS.contains(fname) || !keep(fname)) return;
            Path real;
            try {
                real = path.toRealPath();
            } catch (IOException e) {
                return;
            }
            // a symlink loop would recurse for ever; Portage would crash, we just stop there
            if (!activeDirs.add(real)) return;
            List<Path> children;
            try (Stream<Path> s = Files.list(path)) {
                children = new ArrayList<>(s.toList());
            } catch (IOException e) {
                activeDirs.remove(real);
                return;
            }
            children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
            for (Path c : children) collect(c, out, activeDirs);
            activeDirs.remove(real);
        } else if (Files.isRegularFile(path) && keep(fname)) {
            out.add(path);
        }
    }

    private static boolean keep(String fname) {
        return !fname.startsWith(".") && !fname.endsWith("~");
    }

    /** Raw lines of a file (no newline characters); empty when the file does not exist. */
    public static List<String> rawLines(Path file) {
        String content = read(file);
        if (content == null) return List.of();
        List<String> lines = new ArrayList<>(content.lines().toList());
        return Collections.unmodifiableList(lines);
    }

    /** File content decoded as UTF-8 (invalid bytes replaced, as Portage does), or null if missing. */
    public static String read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if (Files.isDirectory(file)) return null;
            throw new StageforgeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ParseException(file.toString(), 0, 0, "cannot decode: " + e.getMessage());
        }
    }

    /**
     * Portage's {@code grabfile}: the meaningful lines of a file or directory, each with comments cut
     * at the first word starting with {@code #} and whitespace collapsed to single spaces.
     */
    public static List<Line> lines(Path path, boolean recursive) {
        List<Line> out = new ArrayList<>();
        List<Path> files = recursive ? fileList(path) : (Files.isRegularFile(path) ? List.of(path) : List.of());
        for (Path f : files) {
            List<String> raw = rawLines(f);
            for (int i = 0; i < raw.size(); i++) {
                String t = normalise(raw.get(i));
                if (!t.isEmpty()) out.add(new Line(t, f, i + 1));
            }
        }
        return out;
    }

    /** Collapses whitespace and drops everything from the first word that starts with {@code #}. */
    public static String normalise(String line) {
        StringBuilder sb = new StringBuilder(line.length());
        for (String w : words(line)) {
            if (w.startsWith("#")) break;
            if (sb.length() > 0) sb.append(' ');
            sb.append(w);
        }
        return sb.toString();
    }

    /** Whitespace-separated words (Python's {@code str.split()}), without a regex per call. */
    public static List<String> words(String s) {
        if (s == null) return List.of();
        List<String> out = new ArrayList<>();
        int n = s.length();
        int i = 0;
        while (i < n) {
            while (i < n && Character.isWhitespace(s.charAt(i))) i++;
            int start = i;
            while (i < n && !Character.isWhitespace(s.charAt(i))) i++;
            if (i > start) out.add(s.substring(start, i));
        }
        return out;
    }

    /**
     * The comment block that Portage shows as the reason for an entry at {@code lineNo} of a
     * package.mask-style file: {@code #} lines above it, kept across consecutive entries until a
     * blank line. Empty string when there is none.
     */
    public static String commentAbove(Path file, int lineNo) {
        List<String> raw = rawLines(file);
        StringBuilder comment = new StringBuilder();
        int valid = -1;
        for (int i = 0; i < raw.size() && i < lineNo; i++) {
            String line = raw.get(i).strip();
            if (i == lineNo - 1) return valid == i ? comment.toString() : "";
            if (line.isEmpty()) {
                comment.setLength(0);
                valid = -1;
            } else if (line.startsWith("#")) {
                comment.append(line).append('\n');
                valid = i + 1;
            } else if (valid != -1) {
                valid++;
            }
        }
        return "";
    }
}

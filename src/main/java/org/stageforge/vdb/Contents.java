package org.stageforge.vdb;

import org.stageforge.ParseException;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes VDB {@code CONTENTS} files. */
public final class Contents {

    private Contents() {}

    /**
     * Parses CONTENTS text. Every line must be a valid entry with an absolute path free of ".",
     * ".." and empty components (the paths are hostile input: they name files to remove later).
     */
    public static List<ContentsEntry> parse(String source, String text) {
        List<ContentsEntry> out = new ArrayList<>();
        int lineNo = 0;
        int pos = 0;
        while (pos < text.length()) {
            lineNo++;
            int nl = text.indexOf('\n', pos);
            String line = nl < 0 ? text.substring(pos) : text.substring(pos, nl);
            pos = nl < 0 ? text.length() : nl + 1;
            out.add(parseLine(source, lineNo, line));
        }
        return out;
    }

    // Portage's CONTENTS grammar (its regular expression, done by hand so a hostile long line
    // cannot make it backtrack): paths may contain spaces; "obj PATH MD5 MTIME" splits at the last
    // two spaces; "sym PATH -> TARGET MTIME" at the last space and then at the last " -> " that
    // leaves a non-empty target; an old-style symlink mtime "(SEC, NSEC)" is accepted.
    private static ContentsEntry parseLine(String source, int lineNo, String line) {
        if (line.indexOf('\0') >= 0) throw new ParseException(source, lineNo, 0, "NUL byte in CONTENTS entry");
        ContentsEntry.Type type = line.length() > 4 && line.charAt(3) == ' ' ? ContentsEntry.Type.of(line.substring(0, 3)) : null;
        if (type == null) throw unrecognized(source, lineNo, line);
        String rest = line.substring(4);
        ContentsEntry e;
        switch (type) {
            case OBJ -> {
                int s2 = rest.lastIndexOf(' ');
                int s1 = s2 <= 0 ? -1 : rest.lastIndexOf(' ', s2 - 1);
                if (s1 <= 0) throw unrecognized(source, lineNo, line);
                String md5 = rest.substring(s1 + 1, s2);
                String mtime = rest.substring(s2 + 1);
                if (md5.isEmpty() || md5.chars().anyMatch(Character::isWhitespace) || !digits(mtime)) {
                    throw unrecognized(source, lineNo, line);
                }
                e = ContentsEntry.obj(rest.substring(0, s1), md5, mtime(source, lineNo, mtime));
            }
            case SYM -> {
                String mtime;
                int s;
                Matcher old = OLD_SYM_MTIME.matcher(rest);
                if (old.find()) {
                    mtime = old.group(1);
                    s = old.start();
                } else {
                    s = rest.lastIndexOf(' ');
                    mtime = s < 0 ? "" : rest.substring(s + 1);
                    if (!digits(mtime)) throw unrecognized(source, lineNo, line);
                }
                String body = rest.substring(0, Math.max(s, 0));
                int arrow = body.lastIndexOf(" -> ");
                while (arrow >= 0 && arrow + 4 >= body.length()) arrow = body.lastIndexOf(" -> ", arrow - 1);
                if (arrow <= 0) throw unrecognized(source, lineNo, line);
                e = ContentsEntry.sym(body.substring(0, arrow), body.substring(arrow + 4), mtime(source, lineNo, mtime));
            }
            default -> e = new ContentsEntry(type, rest, null, OptionalLong.empty(), null);
        }
        checkPath(source, lineNo, e.path());
        return e;
    }

    private static final Pattern OLD_SYM_MTIME = Pattern.compile(" \\((\\d{1,18}), \\d{1,18}\\)$");

    private static boolean digits(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static ParseException unrecognized(String source, int lineNo, String line) {
        return new ParseException(source, lineNo, 0, "unrecognized CONTENTS entry '" + abbreviate(line) + "'");
    }

    private static long mtime(String source, int lineNo, String digits) {
        if (digits.length() > 18) throw new ParseException(source, lineNo, 0, "mtime out of range: " + abbreviate(digits));
        return Long.parseLong(digits);
    }

    private static void checkPath(String source, int lineNo, String path) {
        if (!path.startsWith("/") || path.length() == 1) {
            throw new ParseException(source, lineNo, 0, "CONTENTS path is not absolute: '" + abbreviate(path) + "'");
        }
        for (String part : path.substring(1).split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new ParseException(source, lineNo, 0, "unsafe CONTENTS path '" + abbreviate(path) + "'");
            }
        }
    }

    /** The CONTENTS text Portage writes for these entries: one line each, newline-terminated. */
    public static String format(List<ContentsEntry> entries) {
        StringBuilder sb = new StringBuilder();
        for (ContentsEntry e : entries) sb.append(e.line()).append('\n');
        return sb.toString();
    }

    static String abbreviate(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 60 ? t.substring(0, 57) + "..." : t;
    }
}

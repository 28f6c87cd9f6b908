package org.stageforge.archive;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Turns archive member names into safe relative paths, refusing anything that could escape. */
public final class PathSanitizer {
    /** Linux's NAME_MAX: longer components fail at the OS, so they are refused up front as bad input. */
    public static final int NAME_MAX = 255;

    private PathSanitizer() {}

    /**
     * The components of {@code raw} after dropping "." and empty components (so "./usr//bin/" gives
     * [usr, bin]); refuses absolute paths, ".." components, NUL bytes and other control characters (a
     * newline would forge lines of CONTENTS and the file table), all exit 4, and components longer than
     * {@value #NAME_MAX} bytes (exit 3). Empty list for the root.
     */
    public static List<String> components(String raw, String source) {
        if (raw.startsWith("/")) throw hostile(source, "absolute path '" + printable(raw) + "'");
        for (int i = 0; i < raw.length(); i++) {
            if (Character.isISOControl(raw.charAt(i))) {
                throw hostile(source, "control character in path '" + printable(raw) + "'");
            }
        }
        List<String> out = new ArrayList<>();
        for (String c : raw.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) throw hostile(source, "path with '..' component '" + raw + "'");
            if (c.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
                throw new StageforgeException(source + ": refused path '" + abbreviate(raw) + "': a component is longer than "
                        + NAME_MAX + " bytes", ExitCodes.BAD_INPUT, null);
            }
            out.add(c);
        }
        return out;
    }

    /** Refuses a symlink target with a control character (it would forge CONTENTS lines like a name would). */
    public static void checkLinkTarget(String target, String source) {
        if (target.chars().anyMatch(c -> Character.isISOControl(c))) {
            throw hostile(source, "control character in symlink target '" + printable(target) + "'");
        }
    }

    /** The normalized relative form of {@code raw} ("usr/bin/foo", "" for the root). */
    public static String normalize(String raw, String source) {
        return String.join("/", components(raw, source));
    }

    /** How listings show a normalized path: {@code ./usr/bin/foo}, {@code ./} for the root. */
    public static String display(String normalized) {
        return normalized.isEmpty() ? "./" : "./" + normalized;
    }

    /** {@code s} with control characters shown as {@code \n}, {@code \t} or {@code \xNN}, so a message stays one line. */
    public static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\n') sb.append("\\n");
            else if (ch == '\t') sb.append("\\t");
            else if (Character.isISOControl(ch)) sb.append(String.format("\\x%02x", (int) ch));
            else sb.append(ch);
        }
        return sb.toString();
    }

    private static String abbreviate(String raw) {
        return raw.length() <= 80 ? raw : raw.substring(0, 60) + "…" + raw.substring(raw.length() - 16);
    }

    static StageforgeException hostile(String source, String reason) {
        return new StageforgeException(source + ": refused " + reason, ExitCodes.VERIFY, null);
    }
}

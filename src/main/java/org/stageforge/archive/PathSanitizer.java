package org.stageforge.archive;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.util.ArrayList;
import java.util.List;

/** Turns archive member names into safe relative paths, refusing anything that could escape. */
public final class PathSanitizer {
    private PathSanitizer() {}

    /**
     * The components of {@code raw} after dropping "." and empty components (so "./usr//bin/" gives
     * [usr, bin]); refuses absolute paths, ".." components and NUL bytes. Empty list for the root.
     */
    public static List<String> components(String raw, String source) {
        if (raw.startsWith("/")) throw hostile(source, "absolute path '" + raw + "'");
        if (raw.indexOf('\0') >= 0) throw hostile(source, "NUL byte in path '" + raw.replace('\0', '?') + "'");
        List<String> out = new ArrayList<>();
        for (String c : raw.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) throw hostile(source, "path with '..' component '" + raw + "'");
            out.add(c);
        }
        return out;
    }

    /** The normalized relative form of {@code raw} ("usr/bin/foo", "" for the root). */
    public static String normalize(String raw, String source) {
        return String.join("/", components(raw, source));
    }

    /** How listings show a normalized path: {@code ./usr/bin/foo}, {@code ./} for the root. */
    public static String display(String normalized) {
        return normalized.isEmpty() ? "./" : "./" + normalized;
    }

    static StageforgeException hostile(String source, String reason) {
        return new StageforgeException(source + ": refused " + reason, ExitCodes.VERIFY, null);
    }
}

package org.stageforge.atom;

import org.stageforge.ParseException;

/** Builds one-line {@link ParseException}s whose quoted input is safe to print. */
final class Errors {
    private Errors() {}

    /** Longest input quoted whole; longer ones are shown as a window around the fault. */
    private static final int MAX_SHOWN = 160;

    static ParseException at(String what, String input, int offset, String reason) {
        String shown = input;
        if (input.length() > MAX_SHOWN) {
            int from = Math.max(0, Math.min(offset - MAX_SHOWN / 2, input.length() - MAX_SHOWN));
            shown = (from > 0 ? "..." : "") + input.substring(from, from + MAX_SHOWN) + (from + MAX_SHOWN < input.length() ? "..." : "");
        }
        return new ParseException(what + " '" + printable(shown) + "'", 0, offset + 1, printable(reason));
    }

    /** A token for quoting inside a reason, shortened when long. */
    static String clip(String token) {
        return token.length() <= 60 ? token : token.substring(0, 57) + "...";
    }

    /** Escapes control and line-separating characters so a message stays on one line. */
    static String printable(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
            if (bad && sb == null) sb = new StringBuilder(s.substring(0, i));
            if (sb == null) continue;
            if (!bad) sb.append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\t') sb.append("\\t");
            else if (c == '\r') sb.append("\\r");
            else sb.append(String.format("\\u%04x", (int) c));
        }
        return sb == null ? s : sb.toString();
    }
}

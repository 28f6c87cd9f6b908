package org.stageforge.merge;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads an {@code /etc/env.d} file the way Portage's {@code getconfig(path, expand=False)} does: Python's
 * {@code shlex} in POSIX mode with Portage's word characters, {@code [export] KEY=VALUE} statements, no
 * variable expansion. Two kinds of failure, as in Portage: {@link Invalid} (Portage's ParseError: env-update
 * warns and skips the file) and {@link Broken} (an unclosed quote or a trailing backslash: shlex raises and
 * Portage's env-update aborts).
 */
final class EnvdFile {
    static final class Invalid extends Exception {
        Invalid(String msg) { super(msg, null, false, false); }
    }

    static final class Broken extends Exception {
        Broken(String msg) { super(msg, null, false, false); }
    }

    private static final String WORDCHARS =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%*_\\:;?,./-+{}";

    private final int[] in;
    private int pos;
    private int lineno = 1;
    private int state = ' ';
    private final ArrayDeque<String> pushback = new ArrayDeque<>();

    private EnvdFile(String content) {
        if (!content.isEmpty() && !content.endsWith("\n")) content += "\n";
        in = content.codePoints().toArray();
    }

    /** The variables of one env.d file, in first-assignment order (a later assignment replaces the value). */
    static Map<String, String> parse(String content) throws Invalid, Broken {
        return new EnvdFile(content).statements();
    }

    private Map<String, String> statements() throws Invalid, Broken {
        Map<String, String> keys = new LinkedHashMap<>();
        while (true) {
            String key = token();
            if ("export".equals(key)) key = token();
            if (key == null) return keys;
            String equ = token();
            if (equ == null || equ.isEmpty()) throw new Invalid("line " + lineno + ": Unexpected EOF");
            if (!equ.equals("=")) throw new Invalid("line " + lineno + ": Invalid token '" + equ + "' (not '=')");
            String val = token();
            if (val == null) throw new Invalid("line " + lineno + ": Unexpected end of config file: variable '" + key + "'");
            if (invalidName(key)) throw new Invalid("line " + lineno + ": Invalid variable name '" + key + "'");
            keys.put(key, val);
        }
    }

    /** Python's {@code re.search(r"^\d|\W", key)} on a str. */
    private static boolean invalidName(String key) {
        if (!key.isEmpty() && Character.isDigit(key.codePointAt(0))) return true;
        return key.codePoints().anyMatch(c -> !(c == '_' || Character.isLetter(c) || isNumeric(c)));
    }

    private static boolean isNumeric(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    private String token() throws Broken {
        if (!pushback.isEmpty()) return pushback.pollFirst();
        return readToken();
    }

    private int next() {
        if (pos >= in.length) return -1;
        int c = in[pos++];
        if (c == '\n') lineno++;
        return c;
    }

    private void skipComment() {
        while (pos < in.length) {
            if (in[pos++] == '\n') break;
        }
        lineno++;
    }

    private static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static boolean isWord(int c) {
        return c < 128 && c >= 0 && WORDCHARS.indexOf(c) >= 0;
    }

    private static boolean isQuote(int c) {
        return c == '"' || c == '\'';
    }

    /** Python's shlex.read_token (posix=True, no punctuation_chars, no whitespace_split). */
    private String readToken() throws Broken {
        boolean quoted = false;
        int escapedState = ' ';
        StringBuilder token = new StringBuilder();
        while (true) {
            int c = next();
            if (state == -1) {
                token.setLength(0);
                break;
            } else if (state == ' ') {
                if (c < 0) {
                    state = -1;
                    break;
                } else if (isWhitespace(c)) {
                    if (token.length() > 0 || quoted) break;
                } else if (c == '#') {
                    skipComment();
                } else if (c == '\\') {
                    escapedState = 'a';
                    state = c;
                } else if (isWord(c)) {
                    token.appendCodePoint(c);
                    state = 'a';
                } else if (isQuote(c)) {
                    state = c;
                } else {
                    token.appendCodePoint(c);
                    break;
                }
            } else if (isQuote(state)) {
                quoted = true;
                if (c < 0) throw new Broken("line " + lineno + ": No closing quotation");
                if (c == state) {
                    state = 'a';
                } else if (c == '\\' && state == '"') {
                    escapedState = state;
                    state = c;
                } else {
                    token.appendCodePoint(c);
                }
            } else if (state == '\\') {
                if (c < 0) throw new Broken("line " + lineno + ": No escaped character");
                if (isQuote(escapedState) && c != state && c != escapedState) token.append('\\');
                token.appendCodePoint(c);
                state = escapedState;
            } else { // 'a'
                if (c < 0) {
                    state = -1;
                    break;
                } else if (isWhitespace(c)) {
                    state = ' ';
                    if (token.length() > 0 || quoted) break;
                } else if (c == '#') {
                    skipComment();
                    state = ' ';
                    if (token.length() > 0 || quoted) break;
                } else if (isQuote(c)) {
                    state = c;
                } else if (c == '\\') {
                    escapedState = 'a';
                    state = c;
                } else if (isWord(c)) {
                    token.appendCodePoint(c);
                } else {
                    pushback.addFirst(new String(Character.toChars(c)));
                    state = ' ';
                    if (token.length() > 0 || quoted) break;
                }
            }
        }
        if (!quoted && token.length() == 0) return null;
        return token.toString();
    }
}

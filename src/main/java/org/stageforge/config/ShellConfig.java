package org.stageforge.config;

import org.stageforge.ParseException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads bash-like assignment files (make.conf, make.defaults, make.globals) exactly as Portage's
 * {@code getconfig} does: a POSIX shlex tokenizer ({@code KEY = VALUE} tokens, quotes joined into
 * words, {@code #} comments, backslash escapes, optional {@code export}), then Portage's
 * {@code varexpand} on each value against the variables defined so far.
 *
 * <p>Portage quirks kept on purpose: quote removal happens before expansion, so {@code '$X'} is
 * still expanded and a literal quote inside a value switches expansion off for the rest of it;
 * an unquoted empty value ({@code FOO=} at end of line) is an error; newlines in values become
 * spaces. {@code source FILE} works only where Portage allows it (make.conf). Where Portage
 * would only warn and use an empty value (bad {@code ${}} substitution) this reader rejects the
 * file instead.
 */
public final class ShellConfig {
    private static final int MAX_SOURCE_DEPTH = 16;
    private static final String WORDCHARS =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%*_\\:;?,./-+{}";

    private ShellConfig() {}

    /**
     * Parses {@code path} (a file, or with {@code recursive} a directory read in Portage's order).
     * Each assignment is expanded against {@code expandMap}, which is updated as Portage does.
     * Returns null when the path does not exist.
     */
    public static Map<String, String> parse(Path path, Map<String, String> expandMap, boolean allowSourcing,
                                            boolean recursive) {
        if (recursive && Files.isDirectory(path)) {
            Map<String, String> out = new LinkedHashMap<>();
            boolean any = false;
            for (Path f : ConfigFiles.fileList(path)) {
                Map<String, String> m = parse(f, expandMap, allowSourcing, false);
                if (m != null) {
                    out.putAll(m);
                    any = true;
                }
            }
            return any ? out : null;
        }
        // a directory without recursion, a fifo or a device is not a config file (and must not block us)
        if (!Files.isRegularFile(path)) return null;
        String content = ConfigFiles.read(path);
        if (content == null) return null;
        return parse(content, path.toString(), path.getParent(), expandMap, allowSourcing);
    }

    /** Parses {@code content} named {@code source} (for messages); relative sources resolve in {@code dir}. */
    public static Map<String, String> parse(String content, String source, Path dir, Map<String, String> expandMap,
                                            boolean allowSourcing) {
        Map<String, String> expand = expandMap == null ? new HashMap<>() : expandMap;
        Lexer lex = new Lexer(content, source, dir, expand, allowSourcing);
        Map<String, String> keys = new LinkedHashMap<>();
        while (true) {
            String key = lex.getToken();
            if ("export".equals(key)) key = lex.getToken();
            if (key == null) break;
            String equ = lex.getToken();
            if (equ == null || equ.isEmpty()) throw lex.error("unexpected end of file after '" + key + "'");
            if (!equ.equals("=")) {
                if (key.equals(".") && allowSourcing) throw lex.error("'. FILE' is not supported (as in Portage); use 'source FILE'");
                throw lex.error("invalid token '" + equ + "' (not '=')");
            }
            String val = lex.getToken();
            if (val == null) throw lex.error("unexpected end of config file: variable '" + key + "'");
            if (!validName(key)) throw lex.error("invalid variable name '" + key + "'");
            String v = expand(val, expand, lex);
            keys.put(key, v);
            expand.put(key, v);
        }
        return keys;
    }

    private static boolean validName(String key) {
        if (key.isEmpty() || Character.isDigit(key.charAt(0))) return false;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '_')) return false;
        }
        return true;
    }

    /** Portage's {@code varexpand} on an already unquoted value, for use outside a file. */
    public static String expand(String value, Map<String, String> vars) {
        return expand(value, vars, null);
    }

    private static boolean isVarChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    private static String expand(String s, Map<String, String> vars, Lexer lex) {
        StringBuilder out = new StringBuilder();
        boolean insing = false;
        boolean indoub = false;
        int pos = 0;
        int len = s.length();
        while (pos < len) {
            char c = s.charAt(pos);
            if (c == '\'') {
                out.append(c);
                if (!indoub) insing = !insing;
                pos++;
                continue;
            }
            if (c == '"') {
                out.append(c);
                if (!insing) indoub = !indoub;
                pos++;
                continue;
            }
            if (insing) {
                out.append(c);
                pos++;
                continue;
            }
            if (c == '\n') {
                out.append(' ');
                pos++;
            } else if (c == '\\') {
                if (pos + 1 >= len) {
                    out.append(c);
                    break;
                }
                char n = s.charAt(pos + 1);
                pos += 2;
                if (n == '$') {
                    out.append(n);
                } else if (n == '\\') {
                    out.append(n);
                    // Portage keeps a quote or dollar that follows an escaped backslash verbatim
                    if (pos < len && "'\"$".indexOf(s.charAt(pos)) >= 0) out.append(s.charAt(pos++));
                } else if (n != '\n') {
                    out.append(c).append(n);
                }
            } else if (c == '$') {
                pos++;
                if (pos == len) {
                    out.append(c);
                    continue;
                }
                boolean braced = false;
                if (s.charAt(pos) == '{') {
                    pos++;
                    if (pos == len) throw badExpansion(lex, "unexpected EOF while looking for matching `}'");
                    braced = true;
                }
                int start = pos;
                while (pos < len && isVarChar(s.charAt(pos))) pos++;
                String name = s.substring(start, pos);
                if (braced) {
                    if (pos >= len || s.charAt(pos) != '}') {
                        throw badExpansion(lex, "unexpected EOF while looking for matching `}'");
                    }
                    pos++;
                }
                if (name.isEmpty()) throw badExpansion(lex, "$" + (braced ? "{}" : "") + ": bad substitution");
                String v = vars.get(name);
                if (v != null) out.append(v);
            } else {
                out.append(c);
                pos++;
            }
        }
        return out.toString();
    }

    private static ParseException badExpansion(Lexer lex, String msg) {
        return lex == null ? new ParseException("value", 0, 0, msg) : lex.error(msg);
    }

    /** One input of the tokenizer: the file, or a file pulled in by {@code source}. */
    private static final class Source {
        final String text;
        final String name;
        final Path dir;
        int pos;
        int line = 1;

        Source(String text, String name, Path dir) {
            this.text = text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
            this.name = name;
            this.dir = dir;
        }

        int next() {
            if (pos >= text.length()) return -1;
            char c = text.charAt(pos++);
            if (c == '\n') line++;
            return c;
        }

        void skipLine() {
            int c;
            do {
                c = next();
            } while (c != -1 && c != '\n');
        }
    }

    /** Python's {@code shlex.shlex} in POSIX mode with Portage's word characters. */
    private static final class Lexer {
        private final Deque<Source> stack = new ArrayDeque<>();
        private final Map<String, String> expandMap;
        private final boolean allowSourcing;
        private Source cur;
        private String pushback;
        private int tokenLine;

        Lexer(String content, String name, Path dir, Map<String, String> expandMap, boolean allowSourcing) {
            this.cur = new Source(content, name, dir);
            this.expandMap = expandMap;
            this.allowSourcing = allowSourcing;
        }

        /** An error at the line where the last token started (Portage reports where the lexer stopped). */
        ParseException error(String msg) {
            return new ParseException(cur.name, tokenLine > 0 ? tokenLine : cur.line, 0, msg);
        }

        String getToken() {
            if (pushback != null) {
                String t = pushback;
                pushback = null;
                return t;
            }
            String raw = readToken();
            while (allowSourcing && "source".equals(raw)) {
                source(readToken());
                raw = getToken();
            }
            while (raw == null) {
                if (stack.isEmpty()) return null;
                cur = stack.pop();
                raw = getToken();
            }
            return raw;
        }

        private void source(String spec) {
            if (spec == null) throw error("'source' without a file name");
            String name = expand(spec, expandMap, this);
            if (stack.size() >= MAX_SOURCE_DEPTH) throw error("'source' nested too deeply (loop?): " + name);
            Path p = Path.of(name);
            if (!p.isAbsolute()) p = (cur.dir == null ? Path.of("") : cur.dir).resolve(p);
            if (!Files.exists(p)) throw error(name + ": No such file or directory");
            if (!Files.isRegularFile(p)) throw error(name + ": not a regular file");
            String text = ConfigFiles.read(p);
            stack.push(cur);
            cur = new Source(text == null ? "" : text, p.toString(), p.getParent());
        }

        private static boolean ws(int c) {
            return c == ' ' || c == '\t' || c == '\r' || c == '\n';
        }

        private static boolean word(int c) {
            return c >= 0 && c < 128 && WORDCHARS.indexOf(c) >= 0 && c != '#';
        }

        private String readToken() {
            StringBuilder tok = new StringBuilder();
            boolean quoted = false;
            int state = ' ';
            int escapedState = 'a';
            loop:
            while (true) {
                int line = cur.line;
                int c = cur.next();
                switch (state) {
                    case ' ' -> {
                        if (c == -1) break loop;
                        tokenLine = line;
                        if (ws(c)) {
                            if (tok.length() > 0 || quoted) break loop;
                        } else if (c == '#') {
                            cur.skipLine();
                        } else if (c == '\\') {
                            escapedState = 'a';
                            state = '\\';
                        } else if (word(c)) {
                            tok.append((char) c);
                            state = 'a';
                        } else if (c == '"' || c == '\'') {
                            state = c;
                        } else {
                            tok.append((char) c);
                            break loop;
                        }
                    }
                    case '"', '\'' -> {
                        quoted = true;
                        if (c == -1) throw error("no closing quotation");
                        if (c == state) {
                            state = 'a';
                        } else if (c == '\\' && state == '"') {
                            escapedState = state;
                            state = '\\';
                        } else {
                            tok.append((char) c);
                        }
                    }
                    case '\\' -> {
                        if (c == -1) throw error("no escaped character");
                        if ((escapedState == '"' || escapedState == '\'') && c != '\\' && c != escapedState) {
                            tok.append('\\');
                        }
                        tok.append((char) c);
                        state = escapedState;
                    }
                    default -> { // inside a word
                        if (c == -1) break loop;
                        if (ws(c)) {
                            break loop;
                        } else if (c == '#') {
                            cur.skipLine();
                            break loop;
                        } else if (c == '"' || c == '\'') {
                            state = c;
                        } else if (c == '\\') {
                            escapedState = 'a';
                            state = '\\';
                        } else if (word(c)) {
                            tok.append((char) c);
                        } else {
                            pushback = String.valueOf((char) c);
                            break loop;
                        }
                    }
                }
            }
            if (!quoted && tok.length() == 0) return null;
            return tok.toString();
        }
    }
}

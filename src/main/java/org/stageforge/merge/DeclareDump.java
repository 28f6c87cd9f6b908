package org.stageforge.merge;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.stageforge.ParseException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The variables of a bash {@code declare -p} dump, such as a binary package's saved ebuild environment
 * ({@code environment.bz2}). Only data is read; nothing is ever evaluated.
 *
 * <p>Usage: {@code DeclareDump env = DeclareDump.parseBzip2("acct-user/foo-1 environment.bz2", in);
 * env.scalar("ACCT_USER_ID"); env.array("ACCT_USER_GROUPS");}
 *
 * <p>Accepted: {@code declare [-flags...] NAME[=VALUE]} statements (flags from {@code -aAgilnrtux}, {@code --}),
 * values as bash writes them: double quotes (with {@code \\ \" \$ \`} escapes), single quotes, {@code $'...'}
 * ANSI-C quoting (all of bash's escapes), plain words; arrays {@code ([0]="a" [1]="b")} and associative arrays
 * {@code ([key]="v" )}, also the older quoted form {@code '([0]="a")'}; function definitions
 * ({@code name () } ... a line {@code }}) are skipped; blank lines are ignored. Anything else, and anything bash would
 * expand when sourcing (an unescaped {@code $name}, {@code $(}, a backquote), is a {@link ParseException} with the
 * line. Values are decoded as UTF-8 (malformed bytes become U+FFFD). A function body holding a line that is just
 * <code>}</code> inside a here-document ends the skip early; whatever follows must then parse as statements.
 */
public final class DeclareDump {
    /** Hard cap on a decompressed environment (real ones are well under 1 MiB). */
    public static final int MAX_BYTES = 64 << 20;

    /** How a variable holds its value. */
    public enum Kind { SCALAR, INDEXED, ASSOCIATIVE, NO_VALUE }

    /**
     * One variable. {@code attributes} are the declare flags without {@code -} (e.g. {@code "x"}, {@code "a"},
     * {@code ""} for {@code --}); {@code value} is set for SCALAR; {@code indexed} / {@code assoc} for arrays.
     */
    public record Variable(String name, String attributes, Kind kind, String value,
                           SortedMap<Long, String> indexed, Map<String, String> assoc) {
        /** Bash's {@code ${NAME}}: the scalar value or element 0 of an array; empty when there is none. */
        public Optional<String> expand() {
            return switch (kind) {
                case SCALAR -> Optional.of(value);
                case INDEXED -> Optional.ofNullable(indexed.get(0L));
                case ASSOCIATIVE -> Optional.ofNullable(assoc.get("0"));
                case NO_VALUE -> Optional.empty();
            };
        }
    }

    private final Map<String, Variable> vars;

    private DeclareDump(Map<String, Variable> vars) {
        this.vars = Collections.unmodifiableMap(vars);
    }

    /** Parses a bzip2-compressed dump ({@code environment.bz2}); more than {@link #MAX_BYTES} is refused. */
    public static DeclareDump parseBzip2(String source, InputStream compressed) {
        try (InputStream in = new BZip2CompressorInputStream(compressed, true)) {
            byte[] data = in.readNBytes(MAX_BYTES + 1);
            if (data.length > MAX_BYTES)
                throw new ParseException(source, 0, 0, "environment larger than " + MAX_BYTES + " bytes");
            return parse(source, data);
        } catch (IOException e) {
            throw new ParseException(source, 0, 0, "not a bzip2 stream: " + e.getMessage(), e);
        }
    }

    /** Parses a dump; {@code source} names it in errors. */
    public static DeclareDump parse(String source, byte[] data) {
        return new DeclareDump(new Parser(source, data).run());
    }

    public Optional<Variable> get(String name) {
        return Optional.ofNullable(vars.get(name));
    }

    /** Bash's {@code ${NAME}}; empty when unset or declared without a value. */
    public Optional<String> scalar(String name) {
        Variable v = vars.get(name);
        return v == null ? Optional.empty() : v.expand();
    }

    /** The values of an indexed array in index order; a scalar gives a one-element list, unset an empty one. */
    public List<String> array(String name) {
        Variable v = vars.get(name);
        if (v == null) return List.of();
        return switch (v.kind()) {
            case SCALAR -> List.of(v.value());
            case INDEXED -> List.copyOf(v.indexed().values());
            case ASSOCIATIVE -> List.copyOf(v.assoc().values());
            case NO_VALUE -> List.of();
        };
    }

    /** All variable names, in first-declaration order. */
    public Set<String> names() {
        return vars.keySet();
    }

    private static final class Parser {
        private final String source;
        private final byte[] d;
        private int p;
        private int line = 1;
        private final Map<String, Variable> out = new LinkedHashMap<>();

        Parser(String source, byte[] d) {
            this.source = source;
            this.d = d;
        }

        private ParseException err(String reason) {
            return new ParseException(source, line, 0, reason);
        }

        private int peek() {
            return p < d.length ? d[p] & 0xff : -1;
        }

        private int peek(int ahead) {
            return p + ahead < d.length ? d[p + ahead] & 0xff : -1;
        }

        private int take() {
            int c = d[p++] & 0xff;
            if (c == '\n') line++;
            return c;
        }

        private boolean startsWith(String s) {
            if (p + s.length() > d.length) return false;
            for (int i = 0; i < s.length(); i++) if ((d[p + i] & 0xff) != s.charAt(i)) return false;
            return true;
        }

        private String restOfLine() {
            int e = p;
            while (e < d.length && d[e] != '\n') e++;
            return new String(d, p, e - p, StandardCharsets.ISO_8859_1);
        }

        private void skipLine() {
            while (p < d.length && d[p] != '\n') p++;
            if (p < d.length) take();
        }

        Map<String, Variable> run() {
            while (p < d.length) {
                String l = restOfLine();
                if (l.isBlank()) {
                    skipLine();
                } else if (startsWith("declare ")) {
                    declare();
                } else if (isFunctionHeader(l)) {
                    skipFunction();
                } else {
                    throw err("not a declare statement or function: '" + shorten(l) + "'");
                }
            }
            return out;
        }

        private static String shorten(String s) {
            return s.length() > 60 ? s.substring(0, 60) + "..." : s;
        }

        private static boolean isFunctionHeader(String l) {
            String s = l.strip();
            if (s.startsWith("function ")) s = s.substring(9).strip();
            if (s.endsWith("{")) s = s.substring(0, s.length() - 1).strip();
            if (!s.endsWith("()")) return false;
            String name = s.substring(0, s.length() - 2).strip();
            if (name.isEmpty()) return false;
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c <= ' ' || "()=;&|<>$`\"'\\".indexOf(c) >= 0) return false;
            }
            return true;
        }

        /**
         * Skips a function definition: up to a line that is just <code>}</code>, jumping over here-document bodies
         * (bash prints them unindented). Should the here-document detection be fooled (a {@code <<} that is no
         * here-document), the plain line search is used instead.
         */
        private void skipFunction() {
            int start = line, startP = p;
            if (restOfLine().stripTrailing().endsWith("{}")) {
                skipLine();
                return;
            }
            skipLine();
            if (skipBody(true)) return;
            p = startP;
            line = start;
            skipLine();
            if (!skipBody(false)) throw new ParseException(source, start, 0, "function without a closing '}'");
        }

        private boolean skipBody(boolean heredocs) {
            while (p < d.length) {
                String l = restOfLine();
                skipLine();
                if (l.stripTrailing().equals("}")) return true;
                if (!heredocs || l.indexOf("<<") < 0) continue; // most lines: no here-document to look for
                for (String[] doc : heredocs(l)) {
                    boolean found = false;
                    while (p < d.length && !found) {
                        String body = restOfLine();
                        skipLine();
                        if (doc[1] != null) body = body.replaceFirst("^\\t+", "");
                        found = body.equals(doc[0]);
                    }
                    if (!found) return false;
                }
            }
            return false;
        }

        /**
         * Here-document delimiters started on a line: {delimiter, non-null if {@code <<-}}; a {@code <<} inside quotes
         * or {@code ((...))} is a shift, not a here-document.
         */
        private static List<String[]> heredocs(String l) {
            List<String[]> out = new java.util.ArrayList<>();
            char quote = 0;
            int arith = 0;
            for (int i = 0; i < l.length(); i++) {
                char c = l.charAt(i);
                if (quote != 0) {
                    if (c == quote) quote = 0;
                    else if (c == '\\' && quote == '"') i++;
                    continue;
                }
                if (c == '\\') { i++; continue; }
                if (c == '\'' || c == '"') { quote = c; continue; }
                if (l.startsWith("((", i)) { arith++; i++; continue; }
                if (l.startsWith("))", i) && arith > 0) { arith--; i++; continue; }
                if (arith > 0 || c != '<' || i + 1 >= l.length() || l.charAt(i + 1) != '<') continue;
                if (i + 2 < l.length() && l.charAt(i + 2) == '<') { i += 2; continue; }
                int j = i + 2;
                boolean dash = j < l.length() && l.charAt(j) == '-';
                if (dash) j++;
                while (j < l.length() && (l.charAt(j) == ' ' || l.charAt(j) == '\t')) j++;
                StringBuilder w = new StringBuilder();
                while (j < l.length()) {
                    char x = l.charAt(j);
                    if (x == '\'' || x == '"') {
                        int e = l.indexOf(x, j + 1);
                        if (e < 0) break;
                        w.append(l, j + 1, e);
                        j = e + 1;
                    } else if (x == '\\' && j + 1 < l.length()) {
                        w.append(l.charAt(j + 1));
                        j += 2;
                    } else if (x == ' ' || x == '\t' || ";&|<>()".indexOf(x) >= 0) {
                        break;
                    } else {
                        w.append(x);
                        j++;
                    }
                }
                if (w.length() > 0) out.add(new String[]{w.toString(), dash ? "-" : null});
                i = j - 1;
            }
            return out;
        }

        private void declare() {
            p += "declare ".length();
            StringBuilder attrs = new StringBuilder();
            skipBlanks();
            while (peek() == '-') {
                take();
                while (p < d.length && peek() != ' ' && peek() != '\t' && peek() != '\n') {
                    int c = take();
                    if (c == '-') continue;
                    if ("aAgilnrtux".indexOf(c) < 0) throw err("unsupported declare flag '-" + (char) c + "'");
                    attrs.append((char) c);
                }
                skipBlanks();
            }
            int ns = p;
            while (p < d.length && isNameChar(peek(), p == ns)) p++;
            if (p == ns) throw err("declare without a variable name");
            String name = new String(d, ns, p - ns, StandardCharsets.US_ASCII);
            String a = attrs.toString();
            Variable v;
            if (peek() != '=') {
                v = new Variable(name, a, Kind.NO_VALUE, null, null, null);
            } else {
                take();
                boolean indexed = a.indexOf('a') >= 0, assoc = a.indexOf('A') >= 0;
                if ((indexed || assoc) && peek() == '(') {
                    v = arrayBody(name, a, assoc);
                } else {
                    byte[] raw = word(false);
                    if ((indexed || assoc) && raw.length >= 2 && raw[0] == '(' && raw[raw.length - 1] == ')') {
                        Parser inner = new Parser(source + " (" + name + ")", raw);
                        v = inner.arrayBody(name, a, assoc);
                        if (inner.p != raw.length) throw err("unexpected text after the array value of " + name);
                    } else {
                        v = new Variable(name, a, Kind.SCALAR, utf8(raw), null, null);
                    }
                }
            }
            skipBlanks();
            if (p < d.length && take() != '\n') throw err("unexpected text after the value of " + name);
            out.put(name, v);
        }

        /** Parses {@code ( elements )} at p. */
        private Variable arrayBody(String name, String attrs, boolean assoc) {
            take(); // (
            TreeMap<Long, String> indexed = new TreeMap<>();
            Map<String, String> map = new LinkedHashMap<>();
            long next = 0;
            while (true) {
                while (p < d.length && (peek() == ' ' || peek() == '\t' || peek() == '\n')) take();
                if (p >= d.length) throw err("unterminated array value of " + name);
                if (peek() == ')') {
                    take();
                    break;
                }
                if (peek() == '[') {
                    take();
                    String key = utf8(subscript());
                    if (peek() != '=') throw err("expected '=' after [" + key + "] in " + name);
                    take();
                    String val = utf8(word(true));
                    if (assoc) {
                        map.put(key, val);
                    } else {
                        long idx = index(key, name);
                        indexed.put(idx, val);
                        next = idx + 1;
                    }
                } else {
                    if (assoc) throw err("associative array element without a [key] in " + name);
                    indexed.put(next++, utf8(word(true)));
                }
            }
            return assoc ? new Variable(name, attrs, Kind.ASSOCIATIVE, null, null, Collections.unmodifiableMap(map))
                    : new Variable(name, attrs, Kind.INDEXED, null, Collections.unmodifiableSortedMap(indexed), null);
        }

        private long index(String key, String name) {
            if (key.isEmpty() || key.length() > 18 || !key.chars().allMatch(c -> c >= '0' && c <= '9'))
                throw err("array index [" + key + "] of " + name + " is not a number");
            return Long.parseLong(key);
        }

        private static boolean isNameChar(int c, boolean first) {
            return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
        }

        private void skipBlanks() {
            while (peek() == ' ' || peek() == '\t') p++;
        }

        /** A subscript up to the closing ']' (quotes allowed inside). */
        private byte[] subscript() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int c = peek();
                if (c < 0) throw err("unterminated array subscript");
                if (c == ']') {
                    take();
                    return b.toByteArray();
                }
                segment(b);
            }
        }

        /** A shell word up to unquoted whitespace (or ')' inside an array). */
        private byte[] word(boolean inArray) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int c = peek();
                if (c < 0 || c == ' ' || c == '\t' || c == '\n') return b.toByteArray();
                if (inArray && c == ')') return b.toByteArray();
                segment(b);
            }
        }

        private void segment(ByteArrayOutputStream b) {
            int c = peek();
            if (c == '"') {
                take();
                doubleQuoted(b);
            } else if (c == '\'') {
                take();
                while (true) {
                    if (p >= d.length) throw err("unterminated single quote");
                    int x = take();
                    if (x == '\'') break;
                    b.write(x);
                }
            } else if (c == '$' && peek(1) == '\'') {
                p += 2;
                ansiC(b);
            } else if (c == '$' && peek(1) == '"') {
                p += 2;
                doubleQuoted(b);
            } else if (c == '\\') {
                take();
                if (p >= d.length) throw err("backslash at end of input");
                int x = take();
                if (x != '\n') b.write(x);
            } else if ("$`;&|<>()".indexOf(c) >= 0) {
                throw err("unquoted '" + (char) c + "' in a value");
            } else {
                b.write(take());
            }
        }

        private void doubleQuoted(ByteArrayOutputStream b) {
            while (true) {
                if (p >= d.length) throw err("unterminated double quote");
                int x = take();
                if (x == '"') return;
                if (x == '\\') {
                    if (p >= d.length) throw err("unterminated double quote");
                    int y = take();
                    if (y == '\n') continue;
                    if (y != '$' && y != '`' && y != '"' && y != '\\') b.write('\\');
                    b.write(y);
                } else if (x == '`') {
                    throw err("command substitution in a value");
                } else if (x == '$' && expands(peek())) {
                    throw err("expansion '$" + (char) peek() + "' in a value");
                } else {
                    b.write(x);
                }
            }
        }

        private static boolean expands(int c) {
            return c == '{' || c == '(' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9') || (c >= 0 && "@*#?$!-".indexOf(c) >= 0);
        }

        /** Bash's $'...' escapes. */
        private void ansiC(ByteArrayOutputStream b) {
            while (true) {
                if (p >= d.length) throw err("unterminated $'...' quote");
                int x = take();
                if (x == '\'') return;
                if (x != '\\') {
                    b.write(x);
                    continue;
                }
                if (p >= d.length) throw err("unterminated $'...' quote");
                int y = take();
                switch (y) {
                    case 'a' -> b.write(7);
                    case 'b' -> b.write(8);
                    case 'e', 'E' -> b.write(27);
                    case 'f' -> b.write(12);
                    case 'n' -> b.write(10);
                    case 'r' -> b.write(13);
                    case 't' -> b.write(9);
                    case 'v' -> b.write(11);
                    case '\\', '\'', '"', '?' -> b.write(y);
                    case 'c' -> {
                        if (p >= d.length) throw err("unterminated $'...' quote");
                        b.write(take() & 0x1f);
                    }
                    case 'x' -> {
                        int v = 0, n = 0;
                        while (n < 2 && hex(peek()) >= 0) { v = v * 16 + hex(take()); n++; }
                        if (n == 0) { b.write('\\'); b.write('x'); } else b.write(v);
                    }
                    case 'u', 'U' -> {
                        int max = y == 'u' ? 4 : 8, n = 0;
                        long v = 0;
                        while (n < max && hex(peek()) >= 0) { v = v * 16 + hex(take()); n++; }
                        if (n == 0) {
                            b.write('\\');
                            b.write(y);
                        } else {
                            int cp = v > Character.MAX_CODE_POINT || (v >= 0xD800 && v <= 0xDFFF) ? 0xFFFD : (int) v;
                            b.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    default -> {
                        if (y >= '0' && y <= '7') {
                            int v = y - '0', n = 1;
                            while (n < 3 && peek() >= '0' && peek() <= '7') { v = v * 8 + (take() - '0'); n++; }
                            b.write(v & 0xff);
                        } else {
                            b.write('\\');
                            b.write(y);
                        }
                    }
                }
            }
        }

        private static int hex(int c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static String utf8(byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}

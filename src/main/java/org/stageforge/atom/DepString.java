package org.stageforge.atom;

import org.stageforge.ParseException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Parsing, validation, USE reduction and printing of dependency-style strings, following the
 * rules Portage's {@code use_reduce(..., eapi="8")} enforces (atoms are EAPI 8 atoms without
 * {@code ::repo}).
 */
public final class DepString {
    private DepString() {}

    /** What the leaves of a string are. */
    public enum Kind {
        /** DEPEND, RDEPEND, BDEPEND, PDEPEND, IDEPEND: atoms; {@code ||} allowed. */
        DEPEND("dependency string"),
        /** REQUIRED_USE: USE flags ({@code !flag}); {@code || ^^ ??} allowed; empty groups allowed. */
        REQUIRED_USE("REQUIRED_USE"),
        /** LICENSE: license names (and {@code @group} references); {@code ||} allowed. */
        LICENSE("LICENSE"),
        /** SRC_URI: URIs or file names with {@code -> name} renames; no {@code ||}. */
        SRC_URI("SRC_URI"),
        /** RESTRICT, PROPERTIES and similar: plain tokens; {@code ||} allowed as Portage does. */
        PLAIN("string");

        final String what;

        Kind(String what) {
            this.what = what;
        }
    }

    /** Deeper nesting than this is refused (no real string comes close; protects the recursion). */
    public static final int MAX_DEPTH = 500;

    private enum Op { ALL, ANY, EXACTLY_ONE, AT_MOST_ONE, COND }

    private static final class Frame {
        final Op op;
        final String flag;
        final boolean negated;
        final List<DepNode> children = new ArrayList<>();

        Frame(Op op, String flag, boolean negated) {
            this.op = op;
            this.flag = flag;
            this.negated = negated;
        }

        DepNode build() {
            return switch (op) {
                case ALL -> new DepNode.AllOf(children);
                case ANY -> new DepNode.AnyOf(children);
                case EXACTLY_ONE -> new DepNode.ExactlyOneOf(children);
                case AT_MOST_ONE -> new DepNode.AtMostOneOf(children);
                case COND -> new DepNode.UseConditional(flag, negated, children);
            };
        }
    }

    /** Python's {@code str.split()} whitespace, so tokens split exactly as in Portage. */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u0085' || c == '\u00a0' || c == '\u2007' || c == '\u202f';
    }

    /** Parses and validates; throws {@link ParseException} naming the token at fault. */
    public static DepNode.AllOf parse(String s, Kind kind) {
        List<Frame> stack = new ArrayList<>();
        stack.add(new Frame(Op.ALL, null, false));
        Frame pending = null;          // operator or conditional waiting for its '('
        int pendingAt = 0;
        boolean needFileName = false;  // after a SRC_URI arrow
        int n = s.length();
        int i = 0;
        int tokenNo = 0;
        while (true) {
            while (i < n && isSpace(s.charAt(i))) i++;
            if (i >= n) break;
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) i++;
            String t = s.substring(start, i);
            tokenNo++;
            if (t.equals("(")) {
                if (needFileName) throw error(kind, s, start, tokenNo, "expected a file name after '->'");
                if (kind != Kind.REQUIRED_USE && nextTokenIs(s, i, ")")) throw error(kind, s, start, tokenNo, "empty group '( )'");
                if (stack.size() > MAX_DEPTH) throw error(kind, s, start, tokenNo, "groups nested too deeply");
                stack.add(pending != null ? pending : new Frame(Op.ALL, null, false));
                pending = null;
            } else if (t.equals(")")) {
                if (pending != null) throw error(kind, s, start, tokenNo, "expected '(' after '" + token(pending) + "'");
                if (needFileName) throw error(kind, s, start, tokenNo, "expected a file name after '->'");
                if (stack.size() == 1) throw error(kind, s, start, tokenNo, "')' without matching '('");
                Frame f = stack.remove(stack.size() - 1);
                stack.get(stack.size() - 1).children.add(f.build());
            } else if (t.equals("||") || (kind == Kind.REQUIRED_USE && (t.equals("^^") || t.equals("??")))) {
                if (kind == Kind.SRC_URI) throw error(kind, s, start, tokenNo, "'||' is not allowed in SRC_URI");
                if (pending != null) throw error(kind, s, start, tokenNo, "expected '(' after '" + token(pending) + "'");
                if (needFileName) throw error(kind, s, start, tokenNo, "expected a file name after '->'");
                pending = new Frame(t.equals("||") ? Op.ANY : t.equals("^^") ? Op.EXACTLY_ONE : Op.AT_MOST_ONE, null, false);
                pendingAt = start;
            } else if (t.equals("->")) {
                if (kind != Kind.SRC_URI) throw error(kind, s, start, tokenNo, "'->' is only allowed in SRC_URI");
                if (pending != null) throw error(kind, s, start, tokenNo, "expected '(' after '" + token(pending) + "'");
                if (needFileName) throw error(kind, s, start, tokenNo, "expected a file name after '->'");
                List<DepNode> siblings = stack.get(stack.size() - 1).children;
                if (siblings.isEmpty() || !(siblings.get(siblings.size() - 1) instanceof DepNode.UriLeaf u) || u.fileName() != null) {
                    throw error(kind, s, start, tokenNo, "'->' must follow a URI");
                }
                needFileName = true;
            } else {
                if (pending != null) throw error(kind, s, start, tokenNo, "expected '(' after '" + token(pending) + "'");
                List<DepNode> siblings = stack.get(stack.size() - 1).children;
                if (t.endsWith("?")) {
                    if (needFileName) throw error(kind, s, start, tokenNo, "expected a file name after '->'");
                    boolean neg = t.startsWith("!");
                    String flag = t.substring(neg ? 1 : 0, t.length() - 1);
                    if (!Names.isValidUseFlag(flag)) throw error(kind, s, start, tokenNo, "invalid USE flag in conditional '" + Errors.clip(t) + "'");
                    pending = new Frame(Op.COND, flag, neg);
                    pendingAt = start;
                } else if (needFileName) {
                    if (t.indexOf('/') >= 0) throw error(kind, s, start, tokenNo, "expected a file name after '->', got '" + Errors.clip(t) + "'");
                    DepNode.UriLeaf u = (DepNode.UriLeaf) siblings.remove(siblings.size() - 1);
                    siblings.add(new DepNode.UriLeaf(u.uri(), t));
                    needFileName = false;
                } else {
                    siblings.add(leaf(kind, s, t, start, tokenNo));
                }
            }
        }
        if (stack.size() > 1) throw error(kind, s, n, tokenNo, "missing ')' at end");
        if (pending != null) throw error(kind, s, pendingAt, tokenNo, "missing '(' after '" + token(pending) + "' at end");
        if (needFileName) throw error(kind, s, n, tokenNo, "missing file name after '->' at end");
        return (DepNode.AllOf) stack.get(0).build();
    }

    private static DepNode leaf(Kind kind, String s, String t, int start, int tokenNo) {
        switch (kind) {
            case DEPEND:
                try {
                    return new DepNode.AtomLeaf(Atom.parse(t, false));
                } catch (ParseException e) {
                    throw error(kind, s, start + Math.max(0, e.column() - 1), tokenNo, "invalid atom '" + Errors.clip(t) + "': " + e.reason());
                }
            case REQUIRED_USE: {
                boolean neg = t.startsWith("!");
                String flag = neg ? t.substring(1) : t;
                if (!Names.isValidUseFlag(flag)) throw error(kind, s, start, tokenNo, "invalid USE flag '" + Errors.clip(t) + "'");
                return new DepNode.FlagLeaf(flag, neg);
            }
            case LICENSE: {
                String name = t.startsWith("@") ? t.substring(1) : t;
                if (!Names.isValidLicenseName(name)) throw error(kind, s, start, tokenNo, "invalid license name '" + Errors.clip(t) + "'");
                return new DepNode.TextLeaf(t);
            }
            case SRC_URI:
                return new DepNode.UriLeaf(t, null);
            default:
                if (t.equals("^^") || t.equals("??")) throw error(kind, s, start, tokenNo, "'" + Errors.clip(t) + "' is only allowed in REQUIRED_USE");
                return new DepNode.TextLeaf(t);
        }
    }

    private static boolean nextTokenIs(String s, int i, String want) {
        int n = s.length();
        while (i < n && isSpace(s.charAt(i))) i++;
        int start = i;
        while (i < n && !isSpace(s.charAt(i))) i++;
        return i - start == want.length() && s.startsWith(want, start);
    }

    private static String token(Frame f) {
        return Errors.clip(switch (f.op) {
            case ANY -> "||";
            case EXACTLY_ONE -> "^^";
            case AT_MOST_ONE -> "??";
            case COND -> (f.negated ? "!" : "") + f.flag + "?";
            case ALL -> "(";
        });
    }

    private static ParseException error(Kind kind, String s, int offset, int tokenNo, String reason) {
        return Errors.at(kind.what, s, offset, reason + " (token " + tokenNo + ")");
    }

    /** Canonical text: tokens separated by single spaces, top level without parentheses. */
    public static String format(DepNode.AllOf root) {
        return join(root.children());
    }

    static String join(List<DepNode> nodes) {
        StringBuilder sb = new StringBuilder();
        for (DepNode d : nodes) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(d);
        }
        return sb.toString();
    }

    static String group(String prefix, List<DepNode> children) {
        return children.isEmpty() ? prefix + "( )" : prefix + "( " + join(children) + " )";
    }

    /**
     * Portage's {@code use_reduce(s, uselist=use, flat=True)}: inactive conditional groups are
     * dropped, every other group is flattened, {@code ||} (and {@code ^^ ??}) stay as tokens, atoms
     * have their conditional USE dependencies evaluated against {@code use}.
     */
    public static List<String> reduceFlat(DepNode.AllOf root, Set<String> use) {
        List<String> out = new ArrayList<>();
        flatten(root.children(), use, out);
        return out;
    }

    private static void flatten(List<DepNode> nodes, Set<String> use, List<String> out) {
        for (DepNode d : nodes) {
            if (d instanceof DepNode.AllOf g) {
                flatten(g.children(), use, out);
            } else if (d instanceof DepNode.AnyOf g) {
                out.add("||");
                flatten(g.children(), use, out);
            } else if (d instanceof DepNode.ExactlyOneOf g) {
                out.add("^^");
                flatten(g.children(), use, out);
            } else if (d instanceof DepNode.AtMostOneOf g) {
                out.add("??");
                flatten(g.children(), use, out);
            } else if (d instanceof DepNode.UseConditional c) {
                if (c.active(use)) flatten(c.children(), use, out);
            } else if (d instanceof DepNode.AtomLeaf a) {
                out.add(a.atom().evaluateConditionals(use).toString());
            } else if (d instanceof DepNode.UriLeaf u) {
                out.add(u.uri());
                if (u.fileName() != null) {
                    out.add("->");
                    out.add(u.fileName());
                }
            } else {
                out.add(d.toString());
            }
        }
    }

    /**
     * Resolves USE conditionals while keeping the structure: an active conditional's children
     * join an all-of parent, or form one all-of item inside {@code || ^^ ??} (PMS semantics);
     * atoms get their conditional USE dependencies evaluated. Empty all-of groups vanish; an
     * any-of group whose members all vanished stays, empty, meaning "cannot be satisfied"
     * (EAPI 8).
     */
    public static DepNode.AllOf reduce(DepNode.AllOf root, Set<String> use) {
        return new DepNode.AllOf(reduceChildren(root.children(), use, false));
    }

    private static List<DepNode> reduceChildren(List<DepNode> nodes, Set<String> use, boolean choice) {
        List<DepNode> out = new ArrayList<>();
        for (DepNode d : nodes) {
            if (d instanceof DepNode.UseConditional c) {
                if (!c.active(use)) continue;
                List<DepNode> inner = reduceChildren(c.children(), use, false);
                if (!choice) out.addAll(inner);
                else if (inner.size() == 1) out.add(inner.get(0));
                else if (!inner.isEmpty()) out.add(new DepNode.AllOf(inner));
            } else if (d instanceof DepNode.AllOf g) {
                List<DepNode> inner = reduceChildren(g.children(), use, false);
                if (inner.isEmpty()) continue;
                if (!choice) out.addAll(inner);
                else out.add(inner.size() == 1 ? inner.get(0) : new DepNode.AllOf(inner));
            } else if (d instanceof DepNode.AnyOf g) {
                out.add(new DepNode.AnyOf(reduceChildren(g.children(), use, true)));
            } else if (d instanceof DepNode.ExactlyOneOf g) {
                out.add(new DepNode.ExactlyOneOf(reduceChildren(g.children(), use, true)));
            } else if (d instanceof DepNode.AtMostOneOf g) {
                out.add(new DepNode.AtMostOneOf(reduceChildren(g.children(), use, true)));
            } else if (d instanceof DepNode.AtomLeaf a) {
                Atom e = a.atom().evaluateConditionals(use);
                out.add(e == a.atom() ? a : new DepNode.AtomLeaf(e));
            } else {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * REQUIRED_USE check as Portage's {@code check_required_use} (EAPI 8): {@code ||} needs one
     * true item (an empty one fails), {@code ^^} exactly one, {@code ??} at most one; inactive
     * conditional groups do not count as items. Flags must be checked against IUSE by the caller.
     */
    public static boolean satisfied(DepNode.AllOf root, Set<String> use) {
        Boolean b = evaluate(root, use);
        return b == null || b;
    }

    /** True, false, or null when the node does not count (inactive conditional, empty all-of). */
    private static Boolean evaluate(DepNode d, Set<String> use) {
        if (d instanceof DepNode.FlagLeaf f) return use.contains(f.flag()) != f.negated();
        if (d instanceof DepNode.UseConditional c) {
            if (!c.active(use)) return null;
            return count(c.children(), use)[1] == 0;
        }
        if (d instanceof DepNode.Group g) {
            int[] tf = count(g.children(), use);
            if (d instanceof DepNode.AllOf) return tf[0] + tf[1] == 0 ? null : tf[1] == 0;
            if (d instanceof DepNode.AnyOf) return tf[0] > 0;
            if (d instanceof DepNode.ExactlyOneOf) return tf[0] == 1;
            return tf[0] <= 1;
        }
        throw new IllegalArgumentException("not a REQUIRED_USE node: " + d);
    }

    private static int[] count(List<DepNode> children, Set<String> use) {
        int[] tf = new int[2];
        for (DepNode c : children) {
            Boolean b = evaluate(c, use);
            if (b != null) tf[b ? 0 : 1]++;
        }
        return tf;
    }

    /** Every atom of a string, in written order, conditional or not. */
    public static List<Atom> atoms(DepNode.AllOf root) {
        List<Atom> out = new ArrayList<>();
        collectAtoms(root, out);
        return out;
    }

    private static void collectAtoms(DepNode d, List<Atom> out) {
        if (d instanceof DepNode.AtomLeaf a) out.add(a.atom());
        if (d instanceof DepNode.Group g) for (DepNode c : g.children()) collectAtoms(c, out);
    }

    /** Every USE flag a string refers to, in conditionals and (REQUIRED_USE) as leaves. */
    public static Set<String> flags(DepNode.AllOf root) {
        Set<String> out = new java.util.LinkedHashSet<>();
        collectFlags(root, out);
        return out;
    }

    private static void collectFlags(DepNode d, Set<String> out) {
        if (d instanceof DepNode.UseConditional c) out.add(c.flag());
        if (d instanceof DepNode.FlagLeaf f) out.add(f.flag());
        if (d instanceof DepNode.Group g) for (DepNode c : g.children()) collectFlags(c, out);
    }
}

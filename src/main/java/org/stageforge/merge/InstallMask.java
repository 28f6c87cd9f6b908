package org.stageforge.merge;

import org.stageforge.ParseException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * INSTALL_MASK / PKG_INSTALL_MASK with the semantics of Portage's {@code portage.util.install_mask.InstallMask}
 * (3.0.x), plus named sets.
 *
 * <p>Usage: {@code InstallMask m = InstallMask.parse("/usr/share/doc -/usr/share/doc/keep* @man", InstallMaskSets.defaults());}
 * then {@code m.isMasked("/usr/share/doc/foo/README")} for every file and {@code m.isMasked("/usr/share/doc/")}
 * (trailing {@code /}) for a directory, exactly as Portage asks ({@code install_mask_dir} removes masked files,
 * then masked directories that ended up empty). Thread-safe and immutable.
 *
 * <p>Rules (Portage's, reproduced quirks included):
 * <ul>
 *   <li>Tokens are split on whitespace; {@code -token} unmasks; the <em>last</em> matching token decides.</li>
 *   <li>A token starting with {@code /} is anchored: it matches the path itself or anything below it. Matching uses
 *       Python's fnmatch, so {@code *} also crosses {@code /} ({@code /usr/lib* /*.a} covers {@code usr/lib64/x/y.a}).
 *       For a directory (path ending in {@code /}) the token is compared with one trailing {@code /}.</li>
 *   <li>Portage pre-selects anchored tokens by their leading components that hold no {@code *}; such components are
 *       compared literally, so {@code ?} and {@code [..]} before the first {@code *}-component never match.</li>
 *   <li>A token without a leading {@code /} is matched against the file's base name only (so it never matches a
 *       directory, whose base name is empty, unless it is {@code *}).</li>
 *   <li>{@code @name} / {@code -@name} (stageforge extension) stand for the tokens of a set in {@link InstallMaskSets},
 *       in place; an unknown set is a {@link ParseException} naming the token.</li>
 * </ul>
 */
public final class InstallMask {
    /** One effective token; {@code origin} is the set it came from, or null. */
    private record Rule(int index, boolean inclusive, String token, String origin, boolean anchored,
                        FnGlob glob, FnGlob globBelow, FnGlob dirGlob, FnGlob dirGlobBelow) {
        boolean matches(String rel, String base, boolean dir) {
            if (!anchored) return glob.matches(base);
            return dir ? dirGlob.matches(rel) || dirGlobBelow.matches(rel)
                    : glob.matches(rel) || globBelow.matches(rel);
        }

        String describe() {
            String t = (inclusive ? "" : "-") + token;
            return origin == null ? t : t + " (" + (inclusive ? "@" : "-@") + origin + ")";
        }
    }

    private static final class Node {
        final Map<String, Node> children = new HashMap<>();
        final List<Rule> rules = new ArrayList<>();
        /** The rules of this node and its ancestors plus the unanchored ones, latest token first. */
        Rule[] candidates;
    }

    private final String source;
    private final Node anchored = new Node();
    private final List<Rule> unanchored = new ArrayList<>();

    private InstallMask(String source) {
        this.source = source;
    }

    /** Parses {@code tokens} (an INSTALL_MASK value); {@code @name} tokens are looked up in {@code sets}. */
    public static InstallMask parse(String tokens, InstallMaskSets sets) {
        InstallMask m = new InstallMask(tokens);
        int index = 0;
        int i = 0, n = tokens.length();
        while (i < n) {
            while (i < n && isSpace(tokens.charAt(i))) i++;
            if (i >= n) break;
            int start = i;
            while (i < n && !isSpace(tokens.charAt(i))) i++;
            String tok = tokens.substring(start, i);
            boolean inclusive = !tok.startsWith("-");
            String body = inclusive ? tok : tok.substring(1);
            if (body.startsWith("@")) {
                String name = body.substring(1);
                List<String> setTokens = sets.tokens(name).orElseThrow(() ->
                        ParseException.at("INSTALL_MASK", tokens, start, "unknown install-mask set '" + tok + "'"
                                + org.stageforge.util.Suggest.didYouMean("@" + name, sets.names().stream().map(x -> "@" + x).sorted().toList())));
                for (String t : setTokens) m.add(index++, inclusive, t, name);
            } else {
                m.add(index++, inclusive, body, null);
            }
        }
        m.prepare();
        return m;
    }

    /** Precomputes each node's candidate rules, so matching neither allocates nor sorts. */
    private void prepare() {
        ArrayDeque<Map.Entry<Node, List<Rule>>> todo = new ArrayDeque<>();
        todo.push(Map.entry(anchored, List.of()));
        while (!todo.isEmpty()) {
            Map.Entry<Node, List<Rule>> e = todo.pop();
            Node node = e.getKey();
            List<Rule> here = new ArrayList<>(e.getValue());
            here.addAll(node.rules);
            List<Rule> all = new ArrayList<>(here);
            all.addAll(unanchored);
            all.sort((a, b) -> Integer.compare(b.index, a.index));
            node.candidates = all.toArray(new Rule[0]);
            for (Node child : node.children.values()) todo.push(Map.entry(child, here));
        }
    }

    /** An INSTALL_MASK that masks nothing. */
    public static InstallMask none() {
        return parse("", InstallMaskSets.empty());
    }

    /** What Python's str.split() splits on (str.isspace). */
    private static boolean isSpace(char c) {
        return c == 0x85 || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private void add(int index, boolean inclusive, String pattern, String origin) {
        if (!pattern.startsWith("/")) {
            unanchored.add(new Rule(index, inclusive, pattern, origin, false, new FnGlob(pattern), null, null, null));
            return;
        }
        String rel = pattern.substring(1);
        String relStripped = stripTrailingSlashes(rel);
        String dirPattern = stripTrailingSlashes(pattern) + "/";
        String dirRel = dirPattern.substring(1);
        Rule r = new Rule(index, inclusive, pattern, origin, true,
                new FnGlob(rel), new FnGlob(relStripped + "/*"),
                new FnGlob(dirRel), new FnGlob(stripTrailingSlashes(dirRel) + "/*"));
        Node node = anchored;
        for (String comp : pattern.split("/")) {
            if (comp.isEmpty()) continue;
            if (comp.indexOf('*') >= 0) break;
            node = node.children.computeIfAbsent(comp, k -> new Node());
        }
        node.rules.add(r);
    }

    private static String stripTrailingSlashes(String s) {
        int e = s.length();
        while (e > 0 && s.charAt(e - 1) == '/') e--;
        return s.substring(0, e);
    }

    /**
     * Whether {@code path} is masked. {@code path} is absolute ({@code /usr/bin/x}) or relative to the image root
     * ({@code usr/bin/x}); a trailing {@code /} marks a directory.
     */
    public boolean isMasked(String path) {
        Rule r = decide(path, null);
        return r != null && r.inclusive;
    }

    /**
     * Every token that matches {@code path}, in mask order, each as written ({@code -} for unmasking) and with the
     * set it came from, e.g. {@code "/usr/share/doc (@docs)"}; the last one decides. Empty when none matches.
     */
    public Set<String> explain(String path) {
        Set<String> out = new LinkedHashSet<>();
        decide(path, out);
        return out;
    }

    private Rule decide(String path, Set<String> explain) {
        int s = 0;
        while (s < path.length() && path.charAt(s) == '/') s++;
        String rel = path.substring(s);
        boolean dir = rel.endsWith("/");
        int slash = rel.lastIndexOf('/');
        String base = slash < 0 ? rel : rel.substring(slash + 1);

        // Portage collects the anchored tokens indexed under each leading component of the path; the deepest node
        // reached holds them all (see prepare).
        Node node = anchored;
        int i = 0, n = rel.length();
        while (i < n) {
            int j = rel.indexOf('/', i);
            if (j < 0) j = n;
            if (j > i) {
                Node next = node.children.get(rel.substring(i, j));
                if (next == null) break;
                node = next;
            }
            i = j + 1;
        }
        Rule[] candidates = node.candidates;
        if (explain == null) {
            for (Rule r : candidates) if (r.matches(rel, base, dir)) return r;
            return null;
        }
        Rule winner = null;
        for (int k = candidates.length - 1; k >= 0; k--) {
            Rule r = candidates[k];
            if (r.matches(rel, base, dir)) {
                explain.add(r.describe());
                winner = r;
            }
        }
        return winner;
    }

    @Override
    public String toString() {
        return source;
    }
}

package org.stageforge.phase;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a phase function of a saved environment may look at the package image (D, ED): read from the function's
 * text and, transitively, the text of every function of the environment it names. Most pkg_preinst functions only act
 * on ROOT (accounts, config migration), and then the merge need not extract the image for them. Conservative: a
 * function that evaluates code ({@code eval}, indirect expansion, namerefs) or is not written as {@code declare -f}
 * writes it counts as using it.
 * A program the phase starts could still read D from its environment; the runner sets D to an empty directory then.
 */
public final class ImageUse {
    private ImageUse() {}

    private static final Pattern HEADER = Pattern.compile("^([A-Za-z_][A-Za-z0-9_:.+-]*) \\(\\) *$");
    private static final Pattern IMAGE = Pattern.compile("\\$(\\{[#!]?)?E?D(?![A-Za-z0-9_])");
    private static final Pattern DYNAMIC = Pattern.compile("\\beval\\b|\\$\\{!|\\b(local|declare|typeset) +-[a-zA-Z]*n");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_:.+-]*");

    /** Whether {@code function} (e.g. "pkg_preinst") of a package's saved environment (environment.bz2) may use D. */
    public static boolean mayUseImage(byte[] environmentBz2, String cpv, String function) {
        return mayUseImageIn(BashPhaseRunner.decompress(environmentBz2, cpv), function);
    }

    static boolean mayUseImageIn(byte[] environment, String function) {
        Map<String, String> bodies = functions(new String(environment, StandardCharsets.UTF_8));
        if (!bodies.containsKey(function)) return true; // not in declare -f form: cannot tell
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(function);
        while (!todo.isEmpty()) {
            String f = todo.pop();
            if (!seen.add(f)) continue;
            String body = bodies.get(f);
            if (IMAGE.matcher(body).find() || DYNAMIC.matcher(body).find()) return true;
            Matcher m = WORD.matcher(body);
            while (m.find()) {
                if (bodies.containsKey(m.group()) && !seen.contains(m.group())) todo.add(m.group());
            }
        }
        return false;
    }

    /** The functions of a {@code declare -f} style dump: name, then the lines up to a closing brace alone. */
    static Map<String, String> functions(String env) {
        Map<String, String> out = new HashMap<>();
        String[] lines = env.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher h = HEADER.matcher(lines[i]);
            if (!h.matches() || i + 1 >= lines.length || !lines[i + 1].startsWith("{")) continue;
            StringBuilder body = new StringBuilder();
            int j = i + 1;
            for (; j < lines.length && !lines[j].equals("}"); j++) body.append(lines[j]).append('\n');
            out.put(h.group(1), body.toString());
            i = j;
        }
        return out;
    }
}

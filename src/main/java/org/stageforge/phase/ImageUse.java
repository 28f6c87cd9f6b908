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
 * function that evaluates code ({@code eval}, namerefs, an indirect expansion that may name D or ED: see
 * {@link #indirectMayReadImage}) or is not written as {@code declare -f} writes it counts as using it.
 * A program the phase starts could still read D from its environment; the runner sets D to an empty directory then.
 * <p>One guard is folded: a statement {@code has FEATURE ${FEATURES} && return} at a function's top level, with
 * FEATURE in the FEATURES the phase sees (the saved environment's, set nowhere else in it), ends the function there,
 * so what follows it is not read. preserve-libs.eclass's {@code preserve_old_lib}, which pkg_preinst of library
 * packages such as ncurses calls, starts so: with Portage's default FEATURES it never reaches its copy into ED.
 */
public final class ImageUse {
    private ImageUse() {}

    private static final Pattern HEADER = Pattern.compile("^([A-Za-z_][A-Za-z0-9_:.+-]*) \\(\\) *$");
    private static final Pattern IMAGE = Pattern.compile("\\$(\\{[#!]?)?E?D(?![A-Za-z0-9_])");
    private static final Pattern DYNAMIC = Pattern.compile("\\beval\\b|\\b(local|declare|typeset) +-[a-zA-Z]*n");
    /** An indirect expansion {@code ${!NAME...}}: NAME and what follows it inside the braces. */
    private static final Pattern INDIRECT = Pattern.compile("\\$\\{!([A-Za-z_][A-Za-z0-9_]*)([^}]*)}");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_:.+-]*");
    /** declare -f indents a function's own statements by four spaces, those of nested blocks by more. */
    private static final Pattern FEATURE_RETURN =
            Pattern.compile("(?m)^    has ([A-Za-z0-9_+.-]+) \\$\\{?FEATURES\\}? && return( [0-9]+)?;?$");
    private static final Pattern FEATURES_DECLARED = Pattern.compile("(?m)^declare -x FEATURES=\"([^\"$`\\\\]*)\"$");
    /** FEATURES named other than as an expansion: assigned, unset, read into, declared local... */
    private static final Pattern FEATURES_NAMED = Pattern.compile("(?<![${])\\bFEATURES\\b");

    /** Whether {@code function} (e.g. "pkg_preinst") of a package's saved environment (environment.bz2) may use D. */
    public static boolean mayUseImage(byte[] environmentBz2, String cpv, String function) {
        return mayUseImageIn(BashPhaseRunner.decompress(environmentBz2, cpv), function);
    }

    static boolean mayUseImageIn(byte[] environment, String function) {
        String text = new String(environment, StandardCharsets.UTF_8);
        Map<String, String> bodies = functions(text);
        if (!bodies.containsKey(function)) return true; // not in declare -f form: cannot tell
        Set<String> features = features(text);
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(function);
        while (!todo.isEmpty()) {
            String f = todo.pop();
            if (!seen.add(f)) continue;
            String body = beforeFeatureReturn(bodies.get(f), features);
            if (IMAGE.matcher(body).find() || DYNAMIC.matcher(body).find() || indirectMayReadImage(body)) return true;
            Matcher m = WORD.matcher(body);
            while (m.find()) {
                if (bodies.containsKey(m.group()) && !seen.contains(m.group())) todo.add(m.group());
            }
        }
        return false;
    }

    /**
     * Whether an indirect expansion of {@code body} may read D or ED. Listing names ({@code ${!P*}}) or an array's
     * keys ({@code ${!A[@]}}) reads no value. {@code ${!NAME}} is harmless when NAME is local to the function and
     * only ever assigned values beginning with text that no name D or ED begins with, as multilib.eclass's
     * {@code get_libdir} does ({@code local libdir_var="LIBDIR_${ABI}"}). Anything else may.
     */
    private static boolean indirectMayReadImage(String body) {
        Matcher m = INDIRECT.matcher(body);
        while (m.find()) {
            String name = m.group(1), rest = m.group(2);
            if (rest.equals("*") || rest.equals("@") || rest.equals("[@]") || rest.equals("[*]")) continue;
            if (!boundedName(body, name)) return true;
        }
        return false;
    }

    /** NAME is declared local and every other mention of it (but expansions) assigns a safe prefix. */
    private static boolean boundedName(String body, String name) {
        String n = Pattern.quote(name);
        if (!Pattern.compile("(?m)^ *local [^;\\n]*\\b" + n + "\\b").matcher(body).find()) return false;
        Matcher mention = Pattern.compile("(?<![${!A-Za-z0-9_])" + n + "(?![A-Za-z0-9_])(\\+?=(\"?)([^\\s;\"]*))?")
                .matcher(body);
        boolean assigned = false;
        while (mention.find()) {
            if (mention.group(1) == null) {
                // a bare mention: only in the local declaration itself
                int ls = body.lastIndexOf('\n', mention.start()) + 1;
                if (!body.substring(ls, mention.start()).matches(" *local [^;]*")) return false;
                continue;
            }
            String value = mention.group(3);
            if (value.startsWith("(")) return false; // an array: ${!NAME} reads through its elements
            int dollar = value.indexOf('$');
            String prefix = dollar < 0 ? value : value.substring(0, dollar);
            if (prefix.isEmpty() || "D".startsWith(prefix) || "ED".startsWith(prefix)) return false;
            assigned = true;
        }
        return assigned;
    }

    /** FEATURES as the saved environment declares it; empty when anything else in it may change FEATURES. */
    private static Set<String> features(String env) {
        Matcher m = FEATURES_DECLARED.matcher(env);
        if (!m.find()) return Set.of();
        Matcher named = FEATURES_NAMED.matcher(env);
        int n = 0;
        while (named.find()) n++;
        return n == 1 ? new HashSet<>(java.util.Arrays.asList(m.group(1).trim().split("\\s+"))) : Set.of();
    }

    /** {@code body} up to its first top-level {@code has FEATURE ${FEATURES} && return} with FEATURE in {@code features}. */
    private static String beforeFeatureReturn(String body, Set<String> features) {
        Matcher m = FEATURE_RETURN.matcher(body);
        while (m.find()) {
            if (features.contains(m.group(1))) return body.substring(0, m.start());
        }
        return body;
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

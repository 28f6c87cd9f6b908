package org.stageforge.merge;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled glob with the exact semantics of Python's {@code fnmatch.fnmatchcase} (which Portage's
 * INSTALL_MASK uses): {@code *} matches any run of characters <em>including</em> {@code /} and newlines,
 * {@code ?} one code point, {@code [...]} a class ({@code [!...]} negated, {@code ]} first is literal,
 * {@code a-z} ranges, a reversed range drops both its ends, an unclosed {@code [} is a literal); no
 * backslash escaping. Never throws: every string is a valid pattern.
 */
final class FnGlob {
    private static final int LITERAL = 0, ANY = 1, STAR = 2, CLASS = 3;

    private final int[] kind;
    private final int[] literal;
    private final CharClass[] classes;
    /** True when the pattern has no wildcard, so matching is plain equality. */
    private final String plain;

    private record CharClass(boolean negated, int[] singles, int[] rangeLo, int[] rangeHi) {
        boolean matches(int cp) {
            boolean in = false;
            for (int s : singles) if (s == cp) { in = true; break; }
            if (!in) for (int i = 0; i < rangeLo.length; i++) if (cp >= rangeLo[i] && cp <= rangeHi[i]) { in = true; break; }
            return in != negated;
        }
    }

    FnGlob(String pattern) {
        int[] cps = pattern.codePoints().toArray();
        List<int[]> toks = new ArrayList<>();
        List<CharClass> cls = new ArrayList<>();
        boolean wild = false;
        int i = 0, n = cps.length;
        while (i < n) {
            int c = cps[i++];
            if (c == '*') {
                wild = true;
                if (toks.isEmpty() || toks.get(toks.size() - 1)[0] != STAR) toks.add(new int[]{STAR, 0});
            } else if (c == '?') {
                wild = true;
                toks.add(new int[]{ANY, 0});
            } else if (c == '[') {
                int j = i;
                if (j < n && cps[j] == '!') j++;
                if (j < n && cps[j] == ']') j++;
                while (j < n && cps[j] != ']') j++;
                if (j >= n) {
                    toks.add(new int[]{LITERAL, '['});
                } else {
                    wild = true;
                    cls.add(parseClass(cps, i, j));
                    toks.add(new int[]{CLASS, cls.size() - 1});
                    i = j + 1;
                }
            } else {
                toks.add(new int[]{LITERAL, c});
            }
        }
        kind = new int[toks.size()];
        literal = new int[toks.size()];
        for (int k = 0; k < toks.size(); k++) {
            kind[k] = toks.get(k)[0];
            literal[k] = toks.get(k)[1];
        }
        classes = cls.toArray(new CharClass[0]);
        plain = wild ? null : pattern;
    }

    /** Class body cps[from, to) (without brackets), read as Python's fnmatch.translate reads it. */
    private static CharClass parseClass(int[] cps, int from, int to) {
        boolean negated = cps[from] == '!';
        int i = negated ? from + 1 : from;
        List<Integer> singles = new ArrayList<>();
        List<int[]> ranges = new ArrayList<>();
        // A '-' makes a range only with a character on both sides; a reversed range matches nothing
        // and also drops its two ends (Python's "remove empty ranges").
        while (i < to) {
            int c = cps[i];
            if (i + 2 < to && cps[i + 1] == '-') {
                int hi = cps[i + 2];
                if (c <= hi) ranges.add(new int[]{c, hi});
                i += 3;
            } else {
                singles.add(c);
                i++;
            }
        }
        int[] s = singles.stream().mapToInt(Integer::intValue).toArray();
        int[] lo = ranges.stream().mapToInt(r -> r[0]).toArray();
        int[] hi = ranges.stream().mapToInt(r -> r[1]).toArray();
        return new CharClass(negated, s, lo, hi);
    }

    boolean matches(String s) {
        if (plain != null) return plain.equals(s);
        int p = 0, i = 0, n = s.length();
        int starP = -1, starI = -1;
        while (true) {
            if (p < kind.length && kind[p] == STAR) {
                starP = ++p;
                starI = i;
                continue;
            }
            if (i >= n) {
                if (p == kind.length) return true;
            } else if (p < kind.length) {
                int cp = s.codePointAt(i);
                boolean ok = switch (kind[p]) {
                    case LITERAL -> literal[p] == cp;
                    case ANY -> true;
                    default -> classes[literal[p]].matches(cp);
                };
                if (ok) {
                    p++;
                    i += Character.charCount(cp);
                    continue;
                }
            }
            if (starP < 0 || starI >= n) return false;
            // Let the last star swallow one more code point and retry.
            starI += Character.charCount(s.codePointAt(starI));
            p = starP;
            i = starI;
        }
    }
}

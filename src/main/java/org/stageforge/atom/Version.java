package org.stageforge.atom;

import org.stageforge.ParseException;

import java.util.Arrays;

/**
 * A PMS package version ({@code 1.2.3b_rc4_p1-r2}) parsed once into a compact form so that
 * {@link #compareTo} runs without allocation. Ordering and equality follow Portage's {@code vercmp}:
 * {@code 1.0 == 1.00} and {@code 1 == 1-r0}, although {@link #toString()} keeps the original text.
 * Only ASCII digits and letters are accepted.
 */
public final class Version implements Comparable<Version> {
    /** Suffix kinds in PMS order; {@code _p} is the only one above "no suffix". */
    private static final String[] SUFFIX_NAMES = {"alpha", "beta", "pre", "rc", "p"};
    private static final byte[] SUFFIX_RANK = {-4, -3, -2, -1, 0};
    /** Digits that always fit in a long. */
    private static final int MAX_DIGITS = 18;
    private static final long[] POW10 = new long[MAX_DIGITS + 1];

    static {
        POW10[0] = 1;
        for (int i = 1; i <= MAX_DIGITS; i++) POW10[i] = POW10[i - 1] * 10;
    }

    private final String text;
    /** Start/end offsets of each numeric component in {@link #text}. */
    private final int[] compStart;
    private final int[] compEnd;
    /** Integer value of each component, or -1 when it has more than 18 significant digits. */
    private final long[] compInt;
    /** Component digits right-padded to 18 places (Portage's leading-zero rule), or -1 when longer. */
    private final long[] compFrac;
    private final char letter;
    private final byte[] suffixRank;
    /** Suffix numbers ("" counts as 0), or -1 when too long; see {@link #suffixStart}. */
    private final long[] suffixNum;
    private final int[] suffixStart;
    private final int[] suffixEnd;
    /** Offset of "-r" in the text, or text length when there is no revision. */
    private final int revAt;
    private final long revision;
    private final int hash;

    private Version(String text, int[] compStart, int[] compEnd, char letter, byte[] suffixRank,
                    int[] suffixStart, int[] suffixEnd, int revAt) {
        this.text = text;
        this.compStart = compStart;
        this.compEnd = compEnd;
        this.letter = letter;
        this.suffixRank = suffixRank;
        this.suffixStart = suffixStart;
        this.suffixEnd = suffixEnd;
        this.revAt = revAt;
        int n = compStart.length;
        compInt = new long[n];
        compFrac = new long[n];
        for (int i = 0; i < n; i++) {
            compInt[i] = intValue(text, compStart[i], compEnd[i]);
            int len = compEnd[i] - compStart[i];
            compFrac[i] = len > MAX_DIGITS ? -1 : intValue(text, compStart[i], compEnd[i]) * POW10[MAX_DIGITS - len];
        }
        suffixNum = new long[suffixRank.length];
        for (int i = 0; i < suffixNum.length; i++) suffixNum[i] = intValue(text, suffixStart[i], suffixEnd[i]);
        revision = revAt < text.length() ? intValue(text, revAt + 2, text.length()) : 0;
        hash = computeHash();
    }

    /** Parses a version; throws {@link ParseException} naming the offending position. */
    public static Version parse(String s) {
        int n = s.length();
        int i = 0;
        int[] starts = new int[4];
        int[] ends = new int[4];
        int count = 0;
        while (true) {
            int st = i;
            while (i < n && isDigit(s.charAt(i))) i++;
            if (i == st) throw Errors.at("version", s, i, count == 0 ? "a version must start with a digit" : "expected a digit after '.'");
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            starts[count] = st;
            ends[count] = i;
            count++;
            if (i < n && s.charAt(i) == '.') {
                i++;
                continue;
            }
            break;
        }
        char letter = 0;
        if (i < n && s.charAt(i) >= 'a' && s.charAt(i) <= 'z') letter = s.charAt(i++);
        byte[] ranks = new byte[0];
        int[] sStart = new int[0];
        int[] sEnd = new int[0];
        while (i < n && s.charAt(i) == '_') {
            int nameStart = ++i;
            while (i < n && s.charAt(i) >= 'a' && s.charAt(i) <= 'z') i++;
            int kind = suffixKind(s, nameStart, i);
            if (kind < 0) throw Errors.at("version", s, nameStart, "expected one of _alpha, _beta, _pre, _rc, _p");
            int numStart = i;
            while (i < n && isDigit(s.charAt(i))) i++;
            int k = ranks.length;
            ranks = Arrays.copyOf(ranks, k + 1);
            sStart = Arrays.copyOf(sStart, k + 1);
            sEnd = Arrays.copyOf(sEnd, k + 1);
            ranks[k] = SUFFIX_RANK[kind];
            sStart[k] = numStart;
            sEnd[k] = i;
        }
        int revAt = n;
        if (i < n && s.charAt(i) == '-') {
            if (i + 1 >= n || s.charAt(i + 1) != 'r') throw Errors.at("version", s, i + 1, "expected '-r' and a revision number");
            revAt = i;
            i += 2;
            int st = i;
            while (i < n && isDigit(s.charAt(i))) i++;
            if (i == st) throw Errors.at("version", s, i, "expected a revision number after '-r'");
        }
        if (i < n) throw Errors.at("version", s, i, "unexpected character '" + s.charAt(i) + "'");
        return new Version(s, Arrays.copyOf(starts, count), Arrays.copyOf(ends, count), letter, ranks, sStart, sEnd, revAt);
    }

    /**
     * Portage's {@code vercmp(a, b)} on text: the sign of the comparison, or null when either is
     * not a valid version. As in Portage, identical strings compare equal without validation.
     */
    public static Integer vercmp(String a, String b) {
        if (a.equals(b)) return 0;
        if (!isValid(a) || !isValid(b)) return null;
        return Integer.signum(parse(a).compareTo(parse(b)));
    }

    /** True when {@code s} is a valid version; cheaper than catching {@link ParseException}. */
    public static boolean isValid(String s) {
        return validLength(s, 0, s.length()) == s.length();
    }

    /**
     * Length of the longest valid version at {@code from} that ends exactly at {@code to}, or -1.
     * Used by the name splitter, which needs "is this substring a version" without exceptions.
     */
    static int validLength(String s, int from, int to) {
        int i = from;
        while (true) {
            int st = i;
            while (i < to && isDigit(s.charAt(i))) i++;
            if (i == st) return -1;
            if (i < to && s.charAt(i) == '.') {
                i++;
                continue;
            }
            break;
        }
        if (i < to && s.charAt(i) >= 'a' && s.charAt(i) <= 'z') i++;
        while (i < to && s.charAt(i) == '_') {
            int nameStart = ++i;
            while (i < to && s.charAt(i) >= 'a' && s.charAt(i) <= 'z') i++;
            if (suffixKind(s, nameStart, i) < 0) return -1;
            while (i < to && isDigit(s.charAt(i))) i++;
        }
        if (i < to && s.charAt(i) == '-') {
            if (i + 1 >= to || s.charAt(i + 1) != 'r') return -1;
            i += 2;
            int st = i;
            while (i < to && isDigit(s.charAt(i))) i++;
            if (i == st) return -1;
        }
        return i == to ? to - from : -1;
    }

    private static int suffixKind(String s, int from, int to) {
        for (int k = 0; k < SUFFIX_NAMES.length; k++) {
            String name = SUFFIX_NAMES[k];
            if (name.length() == to - from && s.regionMatches(from, name, 0, name.length())) return k;
        }
        return -1;
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Value of the digits, or -1 when more than 18 significant digits; empty is 0. */
    private static long intValue(String s, int from, int to) {
        while (from < to && s.charAt(from) == '0') from++;
        if (to - from > MAX_DIGITS) return -1;
        long v = 0;
        for (int i = from; i < to; i++) v = v * 10 + (s.charAt(i) - '0');
        return v;
    }

    /** Compares digit strings by value, for numbers too long for a long. */
    private static int compareBig(String a, int as, int ae, String b, int bs, int be) {
        while (as < ae && a.charAt(as) == '0') as++;
        while (bs < be && b.charAt(bs) == '0') bs++;
        int la = ae - as, lb = be - bs;
        if (la != lb) return la < lb ? -1 : 1;
        for (int k = 0; k < la; k++) {
            char x = a.charAt(as + k), y = b.charAt(bs + k);
            if (x != y) return x < y ? -1 : 1;
        }
        return 0;
    }

    /** Compares digit strings as decimal fractions (shorter one padded with zeros on the right). */
    private static int comparePadded(String a, int as, int ae, String b, int bs, int be) {
        int len = Math.max(ae - as, be - bs);
        for (int k = 0; k < len; k++) {
            char x = as + k < ae ? a.charAt(as + k) : '0';
            char y = bs + k < be ? b.charAt(bs + k) : '0';
            if (x != y) return x < y ? -1 : 1;
        }
        return 0;
    }

    private static int compareNum(long x, long y, String a, int as, int ae, String b, int bs, int be) {
        if (x >= 0 && y >= 0) return Long.compare(x, y);
        return compareBig(a, as, ae, b, bs, be);
    }

    @Override
    public int compareTo(Version o) {
        if (this == o) return 0;
        String a = text, b = o.text;
        int c = compareNum(compInt[0], o.compInt[0], a, compStart[0], compEnd[0], b, o.compStart[0], o.compEnd[0]);
        if (c != 0) return c;
        int na = compStart.length, nb = o.compStart.length;
        int common = Math.min(na, nb);
        for (int i = 1; i < common; i++) {
            boolean lead = a.charAt(compStart[i]) == '0' || b.charAt(o.compStart[i]) == '0';
            if (lead) {
                long x = compFrac[i], y = o.compFrac[i];
                c = x >= 0 && y >= 0 ? Long.compare(x, y)
                        : comparePadded(a, compStart[i], compEnd[i], b, o.compStart[i], o.compEnd[i]);
            } else {
                c = compareNum(compInt[i], o.compInt[i], a, compStart[i], compEnd[i], b, o.compStart[i], o.compEnd[i]);
            }
            if (c != 0) return c;
        }
        // a missing component counts as -1, below any present one
        if (na != nb) return na < nb ? -1 : 1;
        if (letter != o.letter) return letter < o.letter ? -1 : 1;
        int sa = suffixRank.length, sb = o.suffixRank.length;
        int smax = Math.max(sa, sb);
        for (int i = 0; i < smax; i++) {
            // a missing suffix behaves like "_p" with number -1
            int ra = i < sa ? suffixRank[i] : 0;
            int rb = i < sb ? o.suffixRank[i] : 0;
            if (ra != rb) return ra < rb ? -1 : 1;
            if (i >= sa) return -1;
            if (i >= sb) return 1;
            c = compareNum(suffixNum[i], o.suffixNum[i], a, suffixStart[i], suffixEnd[i], b, o.suffixStart[i], o.suffixEnd[i]);
            if (c != 0) return c;
        }
        int ta = a.length(), tb = b.length();
        if (revision >= 0 && o.revision >= 0) return Long.compare(revision, o.revision);
        return compareBig(a, revAt < ta ? revAt + 2 : ta, ta, b, o.revAt < tb ? o.revAt + 2 : tb, tb);
    }

    /** Equality as Portage's {@code vercmp(a, b) == 0}; consistent with {@link #compareTo}. */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof Version v && hash == v.hash && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** Hash of the vercmp-normal form: leading zeros of values and trailing zeros of padded parts ignored. */
    private int computeHash() {
        int h = 1;
        for (int i = 0; i < compStart.length; i++) {
            int from = compStart[i], to = compEnd[i];
            if (i == 0 || text.charAt(from) != '0') {
                while (from < to - 1 && text.charAt(from) == '0') from++;
            } else {
                while (to > from + 1 && text.charAt(to - 1) == '0') to--;
            }
            h = 31 * h + (i == 0 || text.charAt(compStart[i]) != '0' ? 1 : 2);
            for (int k = from; k < to; k++) h = 31 * h + text.charAt(k);
        }
        h = 31 * h + letter;
        for (int i = 0; i < suffixRank.length; i++) {
            h = 31 * h + suffixRank[i];
            int from = suffixStart[i], to = suffixEnd[i];
            while (from < to && text.charAt(from) == '0') from++;
            for (int k = from; k < to; k++) h = 31 * h + text.charAt(k);
        }
        int from = revAt < text.length() ? revAt + 2 : text.length();
        while (from < text.length() && text.charAt(from) == '0') from++;
        for (int k = from; k < text.length(); k++) h = 31 * h + text.charAt(k);
        return h;
    }

    /** The text as parsed. */
    @Override
    public String toString() {
        return text;
    }

    /** The version without its revision part ({@code 1.2_rc1} for {@code 1.2_rc1-r3}). */
    public String withoutRevision() {
        return revAt == text.length() ? text : text.substring(0, revAt);
    }

    /** True when the text has an explicit {@code -rN} part. */
    public boolean hasRevision() {
        return revAt < text.length();
    }

    /** The revision number as written after {@code -r} ("" when absent). */
    public String revisionText() {
        return revAt < text.length() ? text.substring(revAt + 2) : "";
    }

    /**
     * Portage's {@code =ver*} test: is {@code this} (candidate) a match for the glob {@code prefix*}?
     * Leading zeros of the first component are ignored and the prefix must end on a version
     * part boundary ({@code 1*} matches {@code 1.2} and {@code 1b} but not {@code 10}).
     */
    public boolean matchesGlob(Version prefix) {
        String x = globForm(this);
        String p = globForm(prefix);
        if (!x.startsWith(p)) return false;
        if (x.length() == p.length()) return true;
        char next = x.charAt(p.length());
        if (next == '.' || next == '_' || next == '-') return true;
        return isDigit(p.charAt(p.length() - 1)) != isDigit(next);
    }

    private static String globForm(Version v) {
        String t = v.text;
        int i = 0;
        while (i < t.length() && t.charAt(i) == '0') i++;
        if (i == 0) return t;
        // keep one zero when the first component was all zeros
        if (i == t.length() || !isDigit(t.charAt(i))) i--;
        return t.substring(i);
    }
}

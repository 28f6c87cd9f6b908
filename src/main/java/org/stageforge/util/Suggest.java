package org.stageforge.util;

import java.util.Collection;
import java.util.Optional;

/**
 * "Did you mean" for misspelled names: the candidate closest to a word by optimal string alignment distance
 * (Levenshtein plus swapping two neighbours, the commonest typos), if it is close enough to be a likely typo.
 */
public final class Suggest {
    private Suggest() {}

    /**
     * The candidate nearest to {@code word} within {@code max(1, length/3)} edits (ties: the first in iteration
     * order, so pass a sorted collection), or empty. An exact match is never suggested.
     */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        return closest(word, candidates, Math.max(1, word.length() / 3));
    }

    /**
     * For slash-separated names ({@code cat/pkg}, profile paths): the allowed edits follow the length of the last
     * component, so a long shared prefix does not make unrelated names look close.
     */
    public static String didYouMeanPath(String word, Collection<String> candidates) {
        String last = word.substring(word.lastIndexOf('/') + 1);
        return closest(word, candidates, Math.max(1, last.length() / 3)).map(c -> " (did you mean '" + c + "'?)").orElse("");
    }

    /** The candidate nearest to {@code word} within {@code limit} edits, or empty. */
    public static Optional<String> closest(String word, Collection<String> candidates, int limit) {
        String best = null;
        int bestDist = limit + 1;
        for (String c : candidates) {
            if (c.equals(word) || Math.abs(c.length() - word.length()) >= bestDist) continue;
            int d = distance(word, c);
            if (d < bestDist) {
                best = c;
                bestDist = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code " (did you mean 'X'?)"} with the closest candidate, or "". */
    public static String didYouMean(String word, Collection<String> candidates) {
        return closest(word, candidates).map(c -> " (did you mean '" + c + "'?)").orElse("");
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
    public static int distance(String a, String b) {
        int n = a.length();
        int m = b.length();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) d[i][0] = i;
        for (int j = 0; j <= m; j++) d[0][j] = j;
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[n][m];
    }
}

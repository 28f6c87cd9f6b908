package org.stageforge.atom;

/** PMS name rules (chapter 3.1) as Portage applies them; ASCII only. */
public final class Names {
    private Names() {}

    private static boolean isWord(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    /** Category: {@code [A-Za-z0-9+_][A-Za-z0-9+_.-]*}. */
    public static boolean isValidCategory(String s) {
        return isCategory(s, 0, s.length());
    }

    static boolean isCategory(String s, int from, int to) {
        if (from >= to) return false;
        char c = s.charAt(from);
        if (!(isWord(c) || c == '+')) return false;
        for (int i = from + 1; i < to; i++) {
            c = s.charAt(i);
            if (!(isWord(c) || c == '+' || c == '.' || c == '-')) return false;
        }
        return true;
    }

    /** Package name characters: {@code [A-Za-z0-9+_][A-Za-z0-9+_-]*} (without the version-suffix rule). */
    static boolean isPackageChars(String s, int from, int to) {
        if (from >= to) return false;
        char c = s.charAt(from);
        if (!(isWord(c) || c == '+')) return false;
        for (int i = from + 1; i < to; i++) {
            c = s.charAt(i);
            if (!(isWord(c) || c == '+' || c == '-')) return false;
        }
        return true;
    }

    /**
     * Package name: PMS characters, and it must not end in a hyphen followed by something that
     * is a valid version (with optional revision), e.g. {@code foo-1} or {@code foo-1a-r2}.
     */
    public static boolean isValidPackageName(String s) {
        return isPackageName(s, 0, s.length());
    }

    static boolean isPackageName(String s, int from, int to) {
        if (!isPackageChars(s, from, to)) return false;
        // a version holds at most one hyphen ("-r"), so only the last two hyphens can start one
        int seen = 0;
        for (int i = to - 1; i > from && seen < 2; i--) {
            if (s.charAt(i) != '-') continue;
            seen++;
            if (Version.validLength(s, i + 1, to) > 0) return false;
        }
        return true;
    }

    /** USE flag: {@code [A-Za-z0-9][A-Za-z0-9+_@-]*}. */
    public static boolean isValidUseFlag(String s) {
        return isUseFlag(s, 0, s.length());
    }

    static boolean isUseFlag(String s, int from, int to) {
        if (from >= to) return false;
        char c = s.charAt(from);
        if (!(isWord(c) && c != '_')) return false;
        for (int i = from + 1; i < to; i++) {
            c = s.charAt(i);
            if (!(isWord(c) || c == '+' || c == '@' || c == '-')) return false;
        }
        return true;
    }

    /** Slot (and sub-slot) name: {@code [A-Za-z0-9+_][A-Za-z0-9+_.-]*}. */
    public static boolean isValidSlotName(String s) {
        return isCategory(s, 0, s.length());
    }

    /** Repository name as Portage accepts it in atoms: {@code [A-Za-z0-9_][A-Za-z0-9_-]*}. */
    public static boolean isValidRepoName(String s) {
        if (s.isEmpty() || !isWord(s.charAt(0))) return false;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isWord(c) || c == '-')) return false;
        }
        return true;
    }

    /** License name: {@code [A-Za-z0-9_][A-Za-z0-9+_.-]*}. */
    public static boolean isValidLicenseName(String s) {
        if (s.isEmpty() || !isWord(s.charAt(0))) return false;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isWord(c) || c == '+' || c == '.' || c == '-')) return false;
        }
        return true;
    }
}

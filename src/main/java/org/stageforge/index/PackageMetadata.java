package org.stageforge.index;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The ebuild metadata keys shared by a binhost {@code Packages} entry, an md5-cache entry and an
 * installed package. Keys are Portage's names (EAPI, SLOT, IUSE, ...); dependency strings stay
 * unparsed (a resolver parses them). Values are read as Portage does: whitespace-separated words.
 */
public interface PackageMetadata {

    /** The value of a metadata key as stored (after any defaults of the source), if present. */
    Optional<String> value(String key);

    /** The value, or "" when absent (Portage's aux_get answer for a missing key). */
    default String get(String key) {
        return value(key).orElse("");
    }

    /** The whitespace-separated words of a value, in order. */
    default List<String> words(String key) {
        return split(get(key));
    }

    /**
     * Splits at whitespace exactly as Python's {@code str.split()} does, which Portage uses to
     * normalize values: besides ASCII whitespace that includes e.g. U+00A0 and U+0085.
     */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); i++) {
            if (isSpace(s.charAt(i))) {
                if (start >= 0) out.add(s.substring(start, i));
                start = -1;
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) out.add(s.substring(start));
        return out;
    }

    /** Python's {@code str.isspace()} for one character. */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }

    /** EAPI; Portage reads an absent or empty EAPI as "0". */
    default String eapi() {
        String v = get("EAPI").strip();
        return v.isEmpty() ? "0" : v;
    }

    /** The full SLOT value ("slot/subslot"); "0" when absent, as in Portage's index defaults. */
    default String slot() {
        String v = get("SLOT").strip();
        return v.isEmpty() ? "0" : v;
    }

    /** The slot part of SLOT (before '/'). */
    default String slotName() {
        String s = slot();
        int i = s.indexOf('/');
        return i < 0 ? s : s.substring(0, i);
    }

    /** The sub-slot (after '/'), or the slot itself when SLOT has none (PMS). */
    default String subSlot() {
        String s = slot();
        int i = s.indexOf('/');
        return i < 0 ? s : s.substring(i + 1);
    }

    /** IUSE words as written, with their +/- default markers. */
    default List<String> iuse() { return words("IUSE"); }

    default List<String> keywords() { return words("KEYWORDS"); }

    default List<String> definedPhases() { return words("DEFINED_PHASES"); }

    default String license() { return get("LICENSE"); }

    default String restrict() { return get("RESTRICT"); }

    default String properties() { return get("PROPERTIES"); }

    default String depend() { return get("DEPEND"); }

    default String rdepend() { return get("RDEPEND"); }

    default String pdepend() { return get("PDEPEND"); }

    default String idepend() { return get("IDEPEND"); }

    default String bdepend() { return get("BDEPEND"); }

    default String description() { return get("DESCRIPTION"); }

    default String homepage() { return get("HOMEPAGE"); }

    default String requiredUse() { return get("REQUIRED_USE"); }

    /** Every eclass the ebuild inherited, directly or not (INHERITED of an installed package). */
    default List<String> inherited() { return words("INHERITED"); }

    /** Words of a value as an ordered set (for USE-like keys). */
    static Set<String> wordSet(List<String> words) {
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(words));
    }
}

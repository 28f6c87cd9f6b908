package org.stageforge.binpkg;

import java.util.Map;
import java.util.TreeMap;

/**
 * The checksum keys of one Packages index entry (SIZE, MD5, SHA1, SHA256, SHA512, BLAKE2B),
 * taken from a plain map so this package does not depend on the index parser.
 */
public record IndexEntryChecks(Map<String, String> keys) {
    public IndexEntryChecks {
        keys = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(keys));
    }

    public static IndexEntryChecks of(Map<String, String> indexEntry) {
        TreeMap<String, String> m = new TreeMap<>();
        for (String k : new String[] {"SIZE", "MD5", "SHA1", "SHA256", "SHA512", "BLAKE2B"}) {
            String v = indexEntry.get(k);
            if (v != null && !v.isBlank()) m.put(k, v.strip());
        }
        return new IndexEntryChecks(m);
    }

    public static final IndexEntryChecks NONE = new IndexEntryChecks(Map.of());

    public boolean isEmpty() {
        return keys.isEmpty();
    }
}

package org.stageforge.binpkg;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Binary package metadata (the XPAK keys, or the files of a GPKG's metadata.tar), named like VDB
 * entries: CATEGORY, PF, SLOT, USE, RDEPEND, environment.bz2, ...
 */
public final class PackageMetadata {
    private final SortedMap<String, byte[]> raw;

    public PackageMetadata(Map<String, byte[]> raw) {
        TreeMap<String, byte[]> copy = new TreeMap<>();
        raw.forEach((k, v) -> copy.put(k, v.clone()));
        this.raw = Collections.unmodifiableSortedMap(copy);
    }

    public Set<String> keys() {
        return raw.keySet();
    }

    /** The bytes of {@code key} as stored (e.g. environment.bz2), or null. */
    public byte[] raw(String key) {
        byte[] v = raw.get(key);
        return v == null ? null : v.clone();
    }

    /** The value of a text key with surrounding whitespace removed, as Portage reads it; null when absent. */
    public String get(String key) {
        byte[] v = raw.get(key);
        return v == null ? null : new String(v, StandardCharsets.UTF_8).strip();
    }

    /** Every key except binary ones (compressed environment), with values as {@link #get} returns them. */
    public SortedMap<String, String> strings() {
        TreeMap<String, String> out = new TreeMap<>();
        for (String k : raw.keySet()) if (!isBinary(k)) out.put(k, get(k));
        return out;
    }

    /** The compressed environment dump (environment.bz2), or null. */
    public byte[] environmentBz2() {
        return raw("environment.bz2");
    }

    public static boolean isBinary(String key) {
        return key.endsWith(".bz2") || key.endsWith(".gz") || key.endsWith(".xz") || key.endsWith(".zst");
    }
}

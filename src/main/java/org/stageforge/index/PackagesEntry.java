package org.stageforge.index;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One package block of a binhost {@code Packages} index.
 *
 * @param fields    the block's {@code KEY: value} pairs exactly as written, in file order, under
 *                  their file names (MTIME, REPO, DESC, ...)
 * @param fromHeader the header values this entry inherits when it lacks the key itself (Portage's
 *                  {@code _pkgindex_inherited_keys}: CHOST and REPO)
 * @param line      1-based line of the block's first key in its file (0 when built in memory)
 */
public record PackagesEntry(Map<String, String> fields, Map<String, String> fromHeader, int line)
        implements PackageMetadata {

    /** Keys whose value an entry takes from the header when it does not carry them. */
    public static final Set<String> INHERITED_KEYS = Set.of("CHOST", "REPO");

    /** Non-empty defaults of Portage's {@code _pkgindex_default_pkg_data}; the other defaults are "". */
    static final Map<String, String> DEFAULTS = Map.of("EAPI", "0", "SLOT", "0");

    public PackagesEntry {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        fromHeader = Map.copyOf(fromHeader);
    }

    /** The value written in this block itself, without inheritance or defaults. */
    public Optional<String> raw(String fileKey) {
        return Optional.ofNullable(fields.get(fileKey));
    }

    /**
     * The effective value under a metadata key (Portage's names: DESCRIPTION, repository and
     * _mtime_ map to the index's DESC, REPO and MTIME): the block's own value, else the header's
     * for inherited keys, else Portage's default (EAPI and SLOT "0").
     */
    @Override
    public Optional<String> value(String key) {
        String fileKey = PackagesIndex.fileKey(key);
        String v = fields.get(fileKey);
        if (v == null) v = fromHeader.get(fileKey);
        if (v == null) v = DEFAULTS.get(fileKey);
        return Optional.ofNullable(v);
    }

    /** "category/package-version[-rN]". */
    public String cpv() { return fields.get("CPV"); }

    public String category() { return cpv().substring(0, cpv().indexOf('/')); }

    /** Package name with version ("PF"). */
    public String pf() { return cpv().substring(cpv().indexOf('/') + 1); }

    /** BUILD_ID of a multi-instance package. */
    public OptionalLong buildId() { return number("BUILD_ID"); }

    /**
     * The file's path relative to the binhost root: PATH, or, as Portage does for an entry
     * without PATH, {@code CPV.tbz2}.
     */
    public String path() {
        String p = fields.get("PATH");
        return p == null || p.isEmpty() ? cpv() + ".tbz2" : p;
    }

    public OptionalLong size() { return number("SIZE"); }

    public Optional<String> md5() { return raw("MD5"); }

    public Optional<String> sha1() { return raw("SHA1"); }

    public Optional<String> blake2b() { return raw("BLAKE2B"); }

    public Optional<String> sha512() { return raw("SHA512"); }

    /** The enabled USE flags the package was built with. */
    public Set<String> use() { return PackageMetadata.wordSet(words("USE")); }

    /** REPO (own or inherited from the header). */
    public Optional<String> repo() { return value("REPO"); }

    /** CHOST (own or inherited from the header). */
    public Optional<String> chost() { return value("CHOST"); }

    public OptionalLong buildTime() { return number("BUILD_TIME"); }

    /** MTIME: the binpkg file's mtime in seconds when it was indexed. */
    public OptionalLong mtime() { return number("MTIME"); }

    /** PROVIDES: soname provides ("arch: soname ..."). */
    public String provides() { return get("PROVIDES"); }

    /** REQUIRES: soname requirements ("arch: soname ..."). */
    public String requires() { return get("REQUIRES"); }

    private OptionalLong number(String key) {
        String v = fields.get(key);
        // validated as digits when read
        return v == null || v.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v));
    }
}

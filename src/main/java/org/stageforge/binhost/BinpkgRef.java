package org.stageforge.binhost;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the binhost client needs to know about one binary package of a {@code Packages} index:
 * where it is and how to verify it. Any index representation can be adapted to this view.
 * Digest getters return lower-case hex, or {@code null} when the index has no such key.
 */
public interface BinpkgRef {
    /** Category/package-version, e.g. {@code sys-libs/zlib-1.3.1}. */
    String cpv();

    /** BUILD_ID, or 0 when the index has none. */
    long buildId();

    /** The index PATH relative to the binhost (Portage's default {@code CPV.tbz2} when absent). */
    String path();

    /** SIZE in bytes. */
    long size();

    String md5();

    String sha1();

    String blake2b();

    String sha512();

    /** The digests present, by Portage hash name, strongest first. */
    default Map<String, String> digests() {
        Map<String, String> m = new LinkedHashMap<>();
        if (sha512() != null) m.put("SHA512", sha512());
        if (blake2b() != null) m.put("BLAKE2B", blake2b());
        if (sha1() != null) m.put("SHA1", sha1());
        if (md5() != null) m.put("MD5", md5());
        return m;
    }

    /** How messages name this package: CPV plus the build id when there is one. */
    default String label() {
        return buildId() > 0 ? cpv() + " (build " + buildId() + ")" : cpv();
    }
}

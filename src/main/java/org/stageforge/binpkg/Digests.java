package org.stageforge.binpkg;

import org.bouncycastle.crypto.digests.Blake2bDigest;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Computes several Portage checksum types (MD5, SHA1, SHA256, SHA512, BLAKE2B) in one pass. */
public final class Digests {
    /** Checksum names this class computes, in the order mismatches are reported. */
    public static final List<String> SUPPORTED = List.of("BLAKE2B", "SHA512", "SHA256", "SHA1", "MD5");

    private final Map<String, MessageDigest> jdk = new LinkedHashMap<>();
    private final Blake2bDigest blake2b;
    private long size;

    public Digests(Iterable<String> names) {
        Blake2bDigest b = null;
        for (String n : names) {
            String name = n.toUpperCase(Locale.ROOT);
            switch (name) {
                case "BLAKE2B" -> b = new Blake2bDigest(512);
                case "SHA512" -> jdk.put(name, org.stageforge.util.Hashes.of("SHA-512"));
                case "SHA256" -> jdk.put(name, org.stageforge.util.Hashes.of("SHA-256"));
                case "SHA1" -> jdk.put(name, org.stageforge.util.Hashes.of("SHA-1"));
                case "MD5" -> jdk.put(name, org.stageforge.util.Hashes.of("MD5"));
                default -> throw new IllegalArgumentException("unsupported checksum " + n);
            }
        }
        blake2b = b;
    }

    public static boolean supported(String name) {
        return SUPPORTED.contains(name);
    }

    public void update(byte[] b, int off, int len) {
        size += len;
        if (blake2b != null) blake2b.update(b, off, len);
        for (MessageDigest m : jdk.values()) m.update(b, off, len);
    }

    /** Reads {@code in} to its end into the digests. */
    public Digests consume(InputStream in) throws IOException {
        byte[] buf = new byte[1 << 17];
        int n;
        while ((n = in.read(buf)) >= 0) update(buf, 0, n);
        return this;
    }

    public long size() {
        return size;
    }

    /** Lower-case hex of every requested checksum, by name; call once at the end. */
    public Map<String, String> hex() {
        Map<String, String> out = new LinkedHashMap<>();
        if (blake2b != null) {
            byte[] d = new byte[64];
            blake2b.doFinal(d, 0);
            out.put("BLAKE2B", HexFormat.of().formatHex(d));
        }
        for (Map.Entry<String, MessageDigest> e : jdk.entrySet()) {
            out.put(e.getKey(), HexFormat.of().formatHex(e.getValue().digest()));
        }
        return out;
    }

    /** The first checksum (in {@link #SUPPORTED} order) whose expected value differs, or null. */
    public static String firstMismatch(Map<String, String> expected, Map<String, String> actual) {
        for (String name : SUPPORTED) {
            String want = expected.get(name);
            if (want != null && !want.equalsIgnoreCase(actual.get(name))) return name;
        }
        return null;
    }
}

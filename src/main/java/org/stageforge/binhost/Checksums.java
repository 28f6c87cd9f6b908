package org.stageforge.binhost;

import org.bouncycastle.crypto.digests.Blake2bDigest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Portage hash names (MD5, SHA1, SHA512, BLAKE2B = BLAKE2b-512) computed over a file in one pass. */
public final class Checksums {
    private Checksums() {}

    /** Digests of {@code file} for each requested Portage hash name, as lower-case hex. */
    public static Map<String, String> compute(Path file, Set<String> names) throws IOException {
        Map<String, MessageDigest> jdk = new LinkedHashMap<>();
        Blake2bDigest blake = null;
        for (String n : names) {
            switch (n) {
                case "MD5" -> jdk.put(n, digest("MD5"));
                case "SHA1" -> jdk.put(n, digest("SHA-1"));
                case "SHA512" -> jdk.put(n, digest("SHA-512"));
                case "BLAKE2B" -> blake = new Blake2bDigest(512);
                default -> throw new IllegalArgumentException("unsupported hash " + n);
            }
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (MessageDigest d : jdk.values()) d.update(buf, 0, n);
                if (blake != null) blake.update(buf, 0, n);
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        HexFormat hex = HexFormat.of();
        for (String n : names) {
            if (n.equals("BLAKE2B")) {
                byte[] b = new byte[blake.getDigestSize()];
                blake.doFinal(b, 0);
                out.put(n, hex.formatHex(b));
            } else {
                out.put(n, hex.formatHex(jdk.get(n).digest()));
            }
        }
        return out;
    }

    private static MessageDigest digest(String algorithm) {
        return org.stageforge.util.Hashes.of(algorithm);
    }
}

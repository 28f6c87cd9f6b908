package org.stageforge.util;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class HashesTest {
    private static final List<String> ALGORITHMS = List.of("MD5", "SHA-1", "SHA-256", "SHA-512");

    @Test
    void libcryptoIsUsedWhereItIsInstalled() {
        // Debian and Gentoo both ship libcrypto (OpenSSL): a machine without it would silently lose the speed
        Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/lib/x86_64-linux-gnu/libcrypto.so.3")),
                "no libcrypto.so.3 on this machine");
        assertThat(Hashes.nativeAvailable()).isTrue();
        assertThat(Hashes.of("SHA-512").getClass().getName()).contains("OpenSsl");
    }

    /** Same bytes as the JDK for every length around the block sizes, in pieces at odd offsets, after reset and clone. */
    @Test
    void digestsEqualTheJdks() throws Exception {
        Random r = new Random(42);
        byte[] data = new byte[300_000];
        r.nextBytes(data);
        for (String alg : ALGORITHMS) {
            MessageDigest n = Hashes.of(alg);
            assertThat(n.getAlgorithm()).isEqualTo(alg);
            assertThat(n.getDigestLength()).isEqualTo(Hashes.jdk(alg).getDigestLength());
            for (int len : new int[]{0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 65_536, 65_537, 300_000}) {
                MessageDigest j = Hashes.jdk(alg);
                j.update(data, 0, len);
                int off = 0;
                while (off < len) {
                    int n1 = Math.min(len - off, 1 + r.nextInt(70_000));
                    n.update(data, off, n1);
                    off += n1;
                }
                assertThat(n.digest()).as(alg + " of " + len + " bytes").isEqualTo(j.digest());
            }
            n.update(data, 5, 100);
            n.reset();
            n.update((byte) 7);
            MessageDigest copy = (MessageDigest) n.clone();
            n.update(data, 0, 10);
            copy.update(data, 0, 10);
            MessageDigest j = Hashes.jdk(alg);
            j.update((byte) 7);
            j.update(data, 0, 10);
            byte[] expected = j.digest();
            assertThat(n.digest()).isEqualTo(expected);
            assertThat(copy.digest()).isEqualTo(expected);
        }
    }
}

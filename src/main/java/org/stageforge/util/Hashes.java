package org.stageforge.util;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/**
 * Message digests computed by OpenSSL's libcrypto (through JNA) when it can be loaded, else by the JDK.
 *
 * <p>Why: {@code bin/stageforge} runs the JVM with {@code -XX:TieredStopAtLevel=1} for start-up, and C1 has no
 * intrinsics for the JDK's digests: its SHA-512 runs at a tenth of libcrypto's speed, MD5 and SHA-1 at a half to a
 * fifth, and a merge hashes every file. Results are the same bytes either way (tests compare them).
 */
public final class Hashes {
    private Hashes() {}

    /** JDK algorithm name → libcrypto's name (the names both OpenSSL 1.1 and 3 know). */
    private static final Map<String, String> OPENSSL_NAMES = Map.of(
            "MD5", "MD5", "SHA-1", "SHA1", "SHA-256", "SHA256", "SHA-512", "SHA512");
    private static final Map<String, Integer> LENGTHS = Map.of("MD5", 16, "SHA-1", 20, "SHA-256", 32, "SHA-512", 64);

    private static final Cleaner CLEANER = Cleaner.create();
    /** Bytes copied into native memory per update call. */
    private static final int CHUNK = 1 << 16;
    /**
     * Where updates copy their bytes for libcrypto: one buffer per thread, not per digest (a merge makes a digest
     * per file), used only during an update call.
     */
    private static final ThreadLocal<Memory> SCRATCH = ThreadLocal.withInitial(() -> new Memory(CHUNK));

    /**
     * A digest of {@code algorithm} ({@code MD5}, {@code SHA-1}, {@code SHA-256}, {@code SHA-512}): libcrypto's when
     * available, else the JDK's.
     */
    public static MessageDigest of(String algorithm) {
        String native_ = OPENSSL_NAMES.get(algorithm);
        if (native_ != null && Crypto.AVAILABLE) {
            Pointer md = Crypto.EVP_get_digestbyname(native_);
            if (md != null) return new OpenSslDigest(algorithm, md);
        }
        return jdk(algorithm);
    }

    /** Lower-case hex of {@code algorithm} over the content of {@code file}. */
    public static String ofFile(Path file, String algorithm) throws java.io.IOException {
        MessageDigest md = of(algorithm);
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 17];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** The JDK's own implementation (also what {@link #of} falls back to). */
    public static MessageDigest jdk(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("no digest " + algorithm, e);
        }
    }

    /** Whether {@link #of} uses libcrypto on this machine. */
    public static boolean nativeAvailable() {
        return Crypto.AVAILABLE;
    }

    /** libcrypto's EVP digest API, bound by JNA direct mapping (no per-call reflection). */
    static final class Crypto {
        static final boolean AVAILABLE = load();

        private static boolean load() {
            if (Boolean.getBoolean("stageforge.noNativeDigests")) return false;
            // Debian without libssl-dev has only the versioned name
            for (String name : new String[]{"crypto", "libcrypto.so.3", "libcrypto.so.1.1"}) {
                try {
                    Native.register(Crypto.class, NativeLibrary.getInstance(name));
                    return true;
                } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
                    // try the next name; none: the JDK's digests
                }
            }
            return false;
        }

        static native Pointer EVP_get_digestbyname(String name);

        static native Pointer EVP_MD_CTX_new();

        static native void EVP_MD_CTX_free(Pointer ctx);

        static native int EVP_MD_CTX_copy_ex(Pointer out, Pointer in);

        static native int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

        static native int EVP_DigestUpdate(Pointer ctx, Pointer data, long count);

        static native int EVP_DigestFinal_ex(Pointer ctx, byte[] md, int[] size);

        private Crypto() {}
    }

    /** Native state freed by the cleaner when the digest is unreachable. */
    private record State(Pointer ctx) implements Runnable {
        @Override
        public void run() {
            Crypto.EVP_MD_CTX_free(ctx);
        }
    }

    private static final class OpenSslDigest extends MessageDigest implements Cloneable {
        private final Pointer md;
        private final State state;
        private final int length;

        OpenSslDigest(String algorithm, Pointer md) {
            super(algorithm);
            this.md = md;
            this.state = new State(newContext());
            CLEANER.register(this, state);
            init();
            this.length = LENGTHS.get(algorithm);
        }

        private static Pointer newContext() {
            Pointer ctx = Crypto.EVP_MD_CTX_new();
            if (ctx == null) throw new OutOfMemoryError("EVP_MD_CTX_new");
            return ctx;
        }

        private void init() {
            check(Crypto.EVP_DigestInit_ex(state.ctx(), md, null), "EVP_DigestInit_ex");
        }

        private static void check(int rc, String what) {
            if (rc != 1) throw new IllegalStateException(what + " failed");
        }

        @Override
        protected int engineGetDigestLength() {
            return length;
        }

        @Override
        protected void engineUpdate(byte input) {
            engineUpdate(new byte[]{input}, 0, 1);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            java.util.Objects.checkFromIndexSize(offset, len, input.length);
            Memory buffer = SCRATCH.get();
            while (len > 0) {
                int n = Math.min(len, CHUNK);
                buffer.write(0, input, offset, n);
                check(Crypto.EVP_DigestUpdate(state.ctx(), buffer, n), "EVP_DigestUpdate");
                offset += n;
                len -= n;
            }
        }

        @Override
        protected byte[] engineDigest() {
            byte[] out = new byte[64];
            int[] size = new int[1];
            check(Crypto.EVP_DigestFinal_ex(state.ctx(), out, size), "EVP_DigestFinal_ex");
            init();
            return java.util.Arrays.copyOf(out, size[0]);
        }

        @Override
        protected void engineReset() {
            init();
        }

        @Override
        public Object clone() {
            OpenSslDigest copy = new OpenSslDigest(getAlgorithm(), md);
            check(Crypto.EVP_MD_CTX_copy_ex(copy.state.ctx(), state.ctx()), "EVP_MD_CTX_copy_ex");
            return copy;
        }
    }
}

package org.stageforge.binpkg;

import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PBESecretKeyEncryptor;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyEncryptorBuilder;
import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * OpenPGP through Bouncy Castle: verifying detached and clear-text signatures against a keyring,
 * signing, and generating Ed25519 keys in the legacy EdDSA encoding (algorithm 22) with SHA-512,
 * the form GnuPG 2.2 reads.
 */
public final class OpenPgp {
    private static final Provider BC = new BouncyCastleProvider();
    private static final String CLEAR_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----";
    private static final String SIG_BEGIN = "-----BEGIN PGP SIGNATURE-----";

    private OpenPgp() {}

    /** Public keys to verify against. */
    public record Keyring(List<PGPPublicKey> keys) {
        public Keyring {
            keys = List.copyOf(keys);
        }

        /** Reads every public key (and the public part of secret keys) from an armored or binary file. */
        public static Keyring load(Path file) {
            try {
                List<PGPPublicKey> keys = new ArrayList<>();
                for (Object o : parsed(file)) {
                    if (o instanceof PGPPublicKeyRing r) r.getPublicKeys().forEachRemaining(keys::add);
                    else if (o instanceof PGPSecretKeyRing s) s.getPublicKeys().forEachRemaining(keys::add);
                }
                if (keys.isEmpty()) throw new ParseException(file.toString(), 0, 0, "no OpenPGP public key found");
                return new Keyring(keys);
            } catch (IOException e) {
                throw new StageforgeException(file + ": cannot read keyring: " + e.getMessage(), e);
            }
        }

        PGPPublicKey find(long keyId) {
            for (PGPPublicKey k : keys) if (k.getKeyID() == keyId) return k;
            return null;
        }
    }

    /** An unlocked secret key for signing. */
    public record SigningKey(PGPPrivateKey privateKey, PGPPublicKey publicKey) {
        /** Loads the first signing-capable secret key of an armored file, unlocking it with {@code passphrase}. */
        public static SigningKey load(Path file, char[] passphrase) {
            try {
                for (Object o : parsed(file)) {
                    if (!(o instanceof PGPSecretKeyRing ring)) continue;
                    for (PGPSecretKey sk : ring) {
                        if (!sk.isSigningKey()) continue;
                        PGPPrivateKey pk = sk.extractPrivateKey(new JcePBESecretKeyDecryptorBuilder(
                                new JcaPGPDigestCalculatorProviderBuilder().setProvider(BC).build())
                                .setProvider(BC).build(passphrase == null ? new char[0] : passphrase));
                        return new SigningKey(pk, sk.getPublicKey());
                    }
                }
                throw new ParseException(file.toString(), 0, 0, "no OpenPGP secret signing key found");
            } catch (PGPException e) {
                throw new StageforgeException(file + ": cannot unlock secret key (wrong passphrase?): "
                        + e.getMessage(), ExitCodes.BAD_INPUT, e);
            } catch (IOException e) {
                throw new StageforgeException(file + ": cannot read key: " + e.getMessage(), e);
            }
        }

        public String keyId() {
            return HexFormat.of().withUpperCase().formatHex(publicKey.getFingerprint());
        }
    }

    /** A clear-text signed message split into the signed text (dash-escaping undone) and the signature. */
    public record ClearSigned(String text, byte[] signature) {}

    /** True when {@code data} starts like a clear-text signed message. */
    public static boolean isClearSigned(byte[] data) {
        String head = new String(data, 0, Math.min(data.length, CLEAR_BEGIN.length()), StandardCharsets.US_ASCII);
        return head.equals(CLEAR_BEGIN);
    }

    /** Parses a clear-text signed message (RFC 4880 section 7). */
    public static ClearSigned parseClearSigned(byte[] data, String source) {
        String s = new String(data, StandardCharsets.UTF_8).replace("\r\n", "\n");
        String[] lines = s.split("\n", -1);
        int i = 0;
        if (!lines[i++].equals(CLEAR_BEGIN)) throw new ParseException(source, 1, 0, "not a clear-signed message");
        while (i < lines.length && !lines[i].isEmpty()) {
            if (!lines[i].matches("[A-Za-z]+: .*")) throw new ParseException(source, i + 1, 0, "bad armor header");
            i++;
        }
        i++;
        List<String> text = new ArrayList<>();
        while (i < lines.length && !lines[i].equals(SIG_BEGIN)) {
            String l = lines[i++];
            text.add(l.startsWith("- ") ? l.substring(2) : l);
        }
        if (i >= lines.length) throw new ParseException(source, i, 0, "clear-signed message without signature");
        StringBuilder armored = new StringBuilder();
        for (; i < lines.length; i++) armored.append(lines[i]).append('\n');
        try (InputStream in = new ArmoredInputStream(new ByteArrayInputStream(armored.toString()
                .getBytes(StandardCharsets.US_ASCII)))) {
            return new ClearSigned(String.join("\n", text), in.readAllBytes());
        } catch (IOException | RuntimeException e) {
            throw new ParseException(source, 0, 0, "bad signature armor: " + e.getMessage());
        }
    }

    /** Verifies a clear-text signature; returns the fingerprint of the key that made it. */
    public static String verifyClearSigned(Keyring keyring, ClearSigned cs, String what) {
        PGPSignature sig = signature(cs.signature(), what);
        PGPPublicKey key = key(keyring, sig, what);
        try {
            sig.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), key);
            sig.update(canonicalText(cs.text()));
            if (!sig.verify()) throw bad(what, "bad signature");
        } catch (PGPException e) {
            throw bad(what, "cannot verify signature: " + e.getMessage());
        }
        return fingerprint(key);
    }

    /** Starts verifying a detached signature over data fed later to the returned signature's update(). */
    public static PGPSignature detachedVerifier(Keyring keyring, byte[] sigData, String what) {
        PGPSignature sig = signature(sigData, what);
        try {
            sig.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), key(keyring, sig, what));
        } catch (PGPException e) {
            throw bad(what, "cannot verify signature: " + e.getMessage());
        }
        return sig;
    }

    /** Completes {@link #detachedVerifier}; returns the signer's fingerprint. */
    public static String finishDetached(Keyring keyring, PGPSignature sig, String what) {
        try {
            if (!sig.verify()) throw bad(what, "bad signature");
        } catch (PGPException e) {
            throw bad(what, "cannot verify signature: " + e.getMessage());
        }
        return fingerprint(key(keyring, sig, what));
    }

    /** A generator for a detached binary-document signature; feed it with update(), finish with {@link #armored}. */
    public static PGPSignatureGenerator detachedSigner(SigningKey key, Date time) {
        return generator(key, PGPSignature.BINARY_DOCUMENT, time);
    }

    /** The armored signature of a generator from {@link #detachedSigner}. */
    public static byte[] armored(PGPSignatureGenerator gen) throws IOException {
        return armor(generate(gen));
    }

    /** {@code text} as a clear-text signed message (canonical text signature, SHA-512). */
    public static byte[] clearSign(SigningKey key, String text, Date time) throws IOException {
        PGPSignatureGenerator gen = generator(key, PGPSignature.CANONICAL_TEXT_DOCUMENT, time);
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        gen.update(canonicalText(body));
        StringBuilder sb = new StringBuilder(CLEAR_BEGIN).append("\nHash: SHA512\n\n");
        for (String l : body.split("\n", -1)) {
            sb.append(l.startsWith("-") ? "- " : "").append(l).append('\n');
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(armor(generate(gen)));
        return out.toByteArray();
    }

    /** An armored secret key block followed by the armored public key block. */
    public record GeneratedKey(byte[] secretArmored, byte[] publicArmored, String fingerprint) {}

    /**
     * A new Ed25519 signing key (legacy EdDSA encoding, v4) for {@code userId}; the secret key is
     * protected with AES-256 when a passphrase is given, else stored unprotected.
     */
    public static GeneratedKey generate(String userId, char[] passphrase, Date created) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("Ed25519", BC);
            KeyPair kp = kpg.generateKeyPair();
            PGPKeyPair pair = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.EDDSA_LEGACY, kp, created);
            PGPDigestCalculator sha1 = new JcaPGPDigestCalculatorProviderBuilder().setProvider(BC).build()
                    .get(HashAlgorithmTags.SHA1);
            PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
            hashed.setKeyFlags(false, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
            hashed.setPreferredHashAlgorithms(false, new int[] {HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA256});
            hashed.setPreferredSymmetricAlgorithms(false,
                    new int[] {SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_128});
            PBESecretKeyEncryptor enc = passphrase == null || passphrase.length == 0 ? null
                    : new JcePBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256,
                    new JcaPGPDigestCalculatorProviderBuilder().setProvider(BC).build().get(HashAlgorithmTags.SHA256), 0x60)
                    .setProvider(BC).build(passphrase);
            PGPKeyRingGenerator gen = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, pair, userId, sha1,
                    hashed.generate(), null,
                    new JcaPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA512)
                            .setProvider(BC), enc);
            PGPSecretKeyRing sec = gen.generateSecretKeyRing();
            PGPPublicKeyRing pub = gen.generatePublicKeyRing();
            return new GeneratedKey(armor(sec.getEncoded()), armor(pub.getEncoded()), fingerprint(pub.getPublicKey()));
        } catch (PGPException | IOException | java.security.GeneralSecurityException e) {
            throw new StageforgeException("cannot generate OpenPGP key: " + e.getMessage(), e);
        }
    }

    /** Lines with trailing spaces/tabs removed, joined with CRLF (RFC 4880 canonical text). */
    static byte[] canonicalText(String text) {
        String[] lines = text.split("\n", -1);
        StringBuilder sb = new StringBuilder(text.length() + lines.length);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) sb.append("\r\n");
            sb.append(lines[i].replaceAll("[ \t\r]+$", ""));
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static PGPSignatureGenerator generator(SigningKey key, int type, Date time) {
        try {
            PGPSignatureGenerator gen = new PGPSignatureGenerator(new JcaPGPContentSignerBuilder(
                    key.publicKey().getAlgorithm(), HashAlgorithmTags.SHA512).setProvider(BC), key.publicKey());
            gen.init(type, key.privateKey());
            PGPSignatureSubpacketGenerator sp = new PGPSignatureSubpacketGenerator();
            // verifiers reject signatures older than the key, so a fixed (reproducible) time is never before it
            Date created = key.publicKey().getCreationTime();
            sp.setSignatureCreationTime(false, time.before(created) ? created : time);
            sp.setIssuerFingerprint(false, key.publicKey());
            gen.setHashedSubpackets(sp.generate());
            return gen;
        } catch (PGPException e) {
            throw new StageforgeException("cannot sign: " + e.getMessage(), e);
        }
    }

    private static byte[] generate(PGPSignatureGenerator gen) throws IOException {
        try {
            return gen.generate().getEncoded();
        } catch (PGPException e) {
            throw new StageforgeException("cannot sign: " + e.getMessage(), e);
        }
    }

    private static byte[] armor(byte[] binary) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ArmoredOutputStream aos = ArmoredOutputStream.builder().clearHeaders().build(bos)) {
            aos.write(binary);
        }
        if (bos.size() > 0 && bos.toByteArray()[bos.size() - 1] != '\n') bos.write('\n');
        return bos.toByteArray();
    }

    private static PGPSignature signature(byte[] data, String what) {
        try {
            for (Object o : objects(data)) {
                if (o instanceof PGPSignatureList l && !l.isEmpty()) return l.get(0);
            }
        } catch (IOException | RuntimeException e) {
            throw bad(what, "unreadable signature: " + e.getMessage());
        }
        throw bad(what, "no signature found");
    }

    private static PGPPublicKey key(Keyring keyring, PGPSignature sig, String what) {
        PGPPublicKey k = keyring.find(sig.getKeyID());
        if (k == null) {
            throw bad(what, "signed by unknown key " + String.format("%016X", sig.getKeyID()));
        }
        return k;
    }

    private static String fingerprint(PGPPublicKey k) {
        return HexFormat.of().withUpperCase().formatHex(k.getFingerprint());
    }

    private static StageforgeException bad(String what, String reason) {
        return new StageforgeException(what + ": " + reason, ExitCodes.VERIFY, null);
    }

    /** All OpenPGP objects of a file holding any number of armored blocks or binary packets. */
    /** The OpenPGP objects of a key file: unreadable is a failure, unparsable is bad input. */
    private static List<Object> parsed(Path file) throws IOException {
        byte[] data = Files.readAllBytes(file);
        try {
            return objects(data);
        } catch (IOException | RuntimeException e) {
            throw new ParseException(file.toString(), 0, 0, "not OpenPGP key data: " + e.getMessage());
        }
    }

    private static List<Object> objects(byte[] data) throws IOException {
        List<Object> out = new ArrayList<>();
        String text = new String(data, StandardCharsets.ISO_8859_1);
        List<byte[]> chunks = new ArrayList<>();
        if (text.contains("-----BEGIN PGP ")) {
            int at = 0;
            while ((at = text.indexOf("-----BEGIN PGP ", at)) >= 0) {
                int end = text.indexOf("-----END PGP ", at);
                if (end < 0) throw new IOException("unterminated armor block");
                int eol = text.indexOf('\n', end);
                eol = eol < 0 ? text.length() : eol + 1;
                chunks.add(decodeArmor(data, at, eol));
                at = eol;
            }
        } else {
            chunks.add(data);
        }
        for (byte[] c : chunks) {
            JcaPGPObjectFactory f = new JcaPGPObjectFactory(c);
            Object o;
            while ((o = f.nextObject()) != null) out.add(o);
        }
        return out;
    }

    private static byte[] decodeArmor(byte[] data, int from, int to) throws IOException {
        try (ArmoredInputStream in = new ArmoredInputStream(new ByteArrayInputStream(data, from, to - from))) {
            return in.readAllBytes();
        }
    }
}

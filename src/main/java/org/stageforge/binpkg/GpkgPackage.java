package org.stageforge.binpkg;

import org.bouncycastle.openpgp.PGPSignature;
import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.RegionInputStream;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPKG (GLEP 78): an uncompressed outer tar holding {@code <basename>/gpkg-1},
 * {@code metadata.tar[.comp]}, {@code image.tar[.comp]}, optional detached {@code .sig}s and a
 * (possibly clear-signed) {@code Manifest}. Members are read in place from the outer tar.
 */
public final class GpkgPackage extends BinaryPackage {
    private static final int MAX_OUTER_MEMBERS = 64;
    private static final int MAX_MANIFEST = 1 << 20;
    private static final int MAX_SIGNATURE = 64 << 10;
    private static final long MAX_METADATA_VALUE = 256L << 20;

    /** A member of the outer tar located by its data offset. */
    public record Member(String name, long offset, long size) {}

    private final String basename;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Member metadataMember;
    private final Member imageMember;
    private final Compression compression;
    private PackageMetadata metadata;

    GpkgPackage(Path file, FileChannel channel, TarLimits limits) throws IOException {
        super(file, channel, limits);
        TarLimits outer = new TarLimits(limits.maxHeaderBytes(), limits.maxPathLength(), MAX_OUTER_MEMBERS,
                limits.maxUncompressed(), limits.maxRatio(), limits.ratioAllowance());
        TarReader tar = new TarReader(new RegionInputStream(channel, 0, fileSize), name, outer);
        String base = null;
        TarEntry e;
        while ((e = tar.next()) != null) {
            List<String> c = PathSanitizer.components(e.path(), name);
            if (e.type() == TarEntry.Type.DIR && c.size() == 1) continue;
            if (c.size() != 2 || e.type() != TarEntry.Type.FILE) {
                throw error("unexpected member '" + e.path() + "' in the outer archive");
            }
            if (base == null) base = c.get(0);
            else if (!base.equals(c.get(0))) throw error("members under different directories: " + base + ", " + c.get(0));
            if (tar.dataOffset() + e.size() > fileSize) throw error("member " + e.path() + " extends past the end of the file");
            if (members.put(c.get(1), new Member(c.get(1), tar.dataOffset(), e.size())) != null) {
                throw error("duplicate member " + e.path());
            }
        }
        if (base == null || !members.containsKey("gpkg-1")) throw error("no gpkg-1 member: not a GLEP 78 package");
        basename = base;
        metadataMember = single("metadata.tar");
        imageMember = single("image.tar");
        compression = detect(imageMember.offset(), imageMember.size());
        Compression named = Compression.fromFileName(imageMember.name());
        if (named == null) throw error("unknown compression suffix of " + imageMember.name());
    }

    private Member single(String prefix) {
        Member found = null;
        for (Member m : members.values()) {
            if (m.name().startsWith(prefix) && !m.name().endsWith(".sig")) {
                if (found != null) throw error("more than one " + prefix + " member");
                found = m;
            }
        }
        if (found == null) throw error("no " + prefix + " member");
        return found;
    }

    private ParseException error(String reason) {
        return new ParseException(file.toString(), 0, 0, reason);
    }

    @Override
    public Format format() {
        return Format.GPKG;
    }

    @Override
    public Compression compression() {
        return compression;
    }

    /** The directory name of every member (usually the package's PF, possibly with a build id). */
    public String basename() {
        return basename;
    }

    /** Members of the outer archive in order. */
    public List<Member> members() {
        return List.copyOf(members.values());
    }

    @Override
    public synchronized PackageMetadata metadata() {
        if (metadata != null) return metadata;
        Map<String, byte[]> raw = new LinkedHashMap<>();
        String what = metadataMember.name();
        try (InputStream in = decompressed(metadataMember.offset(), metadataMember.size(),
                detect(metadataMember.offset(), metadataMember.size()), what)) {
            TarReader tar = new TarReader(in, name + ": " + what, limits);
            TarEntry e;
            while ((e = tar.next()) != null) {
                List<String> c = PathSanitizer.components(e.path(), name + ": " + what);
                if (e.type() == TarEntry.Type.DIR) continue;
                if (c.size() != 2 || !c.get(0).equals("metadata") || e.type() != TarEntry.Type.FILE) {
                    throw error(what + ": unexpected member '" + e.path() + "'");
                }
                if (e.size() > MAX_METADATA_VALUE) throw error(what + ": " + e.path() + " is too large");
                raw.put(c.get(1), tar.content().readAllBytes());
            }
        } catch (IOException | RuntimeException ex) {
            throw wrap(name, what + ": ", ex);
        }
        metadata = new PackageMetadata(raw);
        return metadata;
    }

    @Override
    void verifyContent(VerifyOptions options, List<String> checks, List<String> signers) throws IOException {
        Member mf = members.get("Manifest");
        if (mf == null) throw fail("Manifest: missing");
        if (mf.size() > MAX_MANIFEST) throw fail("Manifest: too large");
        byte[] mfBytes = new RegionInputStream(channel, mf.offset(), mf.size()).readAllBytes();
        String text;
        if (OpenPgp.isClearSigned(mfBytes)) {
            OpenPgp.ClearSigned cs = OpenPgp.parseClearSigned(mfBytes, name + ": Manifest");
            text = cs.text();
            if (options.keyring() != null) {
                signers.add(OpenPgp.verifyClearSigned(options.keyring(), cs, name + ": Manifest"));
                checks.add("Manifest: signature");
            }
        } else {
            text = new String(mfBytes, StandardCharsets.UTF_8);
        }
        if (options.requireSignature() && options.keyring() == null) {
            throw fail("a signature is required but no keyring was given");
        }
        // as Portage does: once anything is signed, everything must be, so a signature cannot be stripped
        boolean anySigned = OpenPgp.isClearSigned(mfBytes)
                || members.keySet().stream().anyMatch(n -> n.endsWith(".sig"));
        boolean needSignatures = options.keyring() != null && (options.requireSignature() || anySigned);
        if (needSignatures && signers.isEmpty()) throw fail("Manifest: not signed");
        GpkgManifest manifest = GpkgManifest.parse(text, name + ": Manifest");
        for (Member m : members.values()) {
            if (!m.name().equals("Manifest") && manifest.line(m.name()) == null) throw fail(m.name() + ": not in the Manifest");
        }
        for (GpkgManifest.Line l : manifest.lines()) {
            Member m = members.get(l.member());
            if (m == null) throw fail(l.member() + ": listed in the Manifest but missing");
            if (m.size() != l.size()) {
                throw fail(l.member() + ": size mismatch (Manifest " + l.size() + ", actual " + m.size() + ")");
            }
            List<String> names = l.hashes().keySet().stream().filter(Digests::supported).toList();
            if (names.isEmpty()) throw fail(l.member() + ": no supported checksum in the Manifest");
            Digests d = new Digests(names);
            PGPSignature sig = null;
            Member sigMember = members.get(l.member() + ".sig");
            if (options.keyring() != null && sigMember != null) {
                if (sigMember.size() > MAX_SIGNATURE) throw fail(sigMember.name() + ": too large");
                byte[] s = new RegionInputStream(channel, sigMember.offset(), sigMember.size()).readAllBytes();
                sig = OpenPgp.detachedVerifier(options.keyring(), s, name + ": " + sigMember.name());
            }
            try (InputStream in = new RegionInputStream(channel, m.offset(), m.size())) {
                byte[] buf = new byte[1 << 17];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    d.update(buf, 0, n);
                    if (sig != null) sig.update(buf, 0, n);
                }
            }
            if (d.size() != m.size()) throw fail(l.member() + ": file shorter than its tar header says");
            String bad = Digests.firstMismatch(l.hashes(), d.hex());
            if (bad != null) throw fail(l.member() + ": " + bad + " mismatch");
            checks.add(l.member() + ": size, " + String.join(", ", names));
            if (sig != null) {
                signers.add(OpenPgp.finishDetached(options.keyring(), sig, name + ": " + sigMember.name()));
                checks.add(l.member() + ": signature");
            } else if (needSignatures && !m.name().endsWith(".sig") && !m.name().equals("gpkg-1")) {
                throw fail(l.member() + ": no detached signature");
            }
        }
    }

    private StageforgeException fail(String reason) {
        return new StageforgeException(name + ": " + reason, ExitCodes.VERIFY, null);
    }

    @Override
    InputStream openImage() throws IOException {
        return decompressed(imageMember.offset(), imageMember.size(), compression, imageMember.name());
    }

    @Override
    long imageOffset() {
        return imageMember.offset();
    }

    @Override
    String imageMemberName() {
        return imageMember.name();
    }

    @Override
    List<String> imageComponents(String rawPath) {
        List<String> c = PathSanitizer.components(rawPath, name + ": " + imageMember.name());
        if (c.isEmpty() || !c.get(0).equals("image")) {
            throw new StageforgeException(name + ": " + imageMember.name() + ": refused member '" + rawPath
                    + "' outside image/", ExitCodes.VERIFY, null);
        }
        return new ArrayList<>(c.subList(1, c.size()));
    }
}

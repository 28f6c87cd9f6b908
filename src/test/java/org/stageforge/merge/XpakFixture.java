package org.stageforge.merge;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Test-only access to the fixtures' XPAK binary packages (payload = zstd tar, then the XPAK segment
 * {@code XPAKPACK index data XPAKSTOP}, its length and {@code STOP}) and to the cases' manifest.tsv.
 */
final class XpakFixture {
    private XpakFixture() {}

    /** The file named by the Packages index for this CPV and BUILD_ID (the file suffix may differ from it). */
    static Path packageFile(Path binhost, String cpv, String buildId) throws IOException {
        String text = Files.readString(binhost.resolve("Packages"));
        for (String block : text.split("\n\n")) {
            Map<String, String> m = new HashMap<>();
            for (String line : block.split("\n")) {
                int c = line.indexOf(": ");
                if (c > 0) m.put(line.substring(0, c), line.substring(c + 2));
            }
            if (cpv.equals(m.get("CPV")) && buildId.equals(m.get("BUILD_ID"))) return binhost.resolve(m.get("PATH"));
        }
        throw new IllegalArgumentException("no Packages entry for " + cpv + " build " + buildId);
    }

    /** The XPAK metadata entries of a package file. */
    static Map<String, byte[]> metadata(Path file) throws IOException {
        byte[] d = Files.readAllBytes(file);
        int n = d.length;
        if (!new String(d, n - 4, 4, StandardCharsets.US_ASCII).equals("STOP")) throw new IOException("no STOP");
        int xlen = ByteBuffer.wrap(d, n - 8, 4).getInt();
        int xs = n - 8 - xlen;
        ByteBuffer b = ByteBuffer.wrap(d, xs + 8, 8);
        int ilen = b.getInt(), dlen = b.getInt();
        int idx = xs + 16, data = idx + ilen;
        Map<String, byte[]> out = new LinkedHashMap<>();
        int p = idx;
        while (p < idx + ilen) {
            ByteBuffer e = ByteBuffer.wrap(d, p, 4);
            int nl = e.getInt();
            String name = new String(d, p + 4, nl, StandardCharsets.UTF_8);
            ByteBuffer o = ByteBuffer.wrap(d, p + 4 + nl, 8);
            int off = o.getInt(), len = o.getInt();
            byte[] v = new byte[len];
            System.arraycopy(d, data + off, v, 0, len);
            out.put(name, v);
            p += 12 + nl;
        }
        if (data + dlen > n) throw new IOException("bad xpak");
        return out;
    }

    /** The environment.bz2 of a package, decompressed. */
    static byte[] environment(Path file) throws IOException {
        try (InputStream in = new BZip2CompressorInputStream(new ByteArrayInputStream(metadata(file).get("environment.bz2")))) {
            return in.readAllBytes();
        }
    }

    /** Extracts the regular files of the payload whose path (without leading ./) passes {@code want}. */
    static Map<String, byte[]> payloadFiles(Path file, Predicate<String> want) throws IOException {
        byte[] d = Files.readAllBytes(file);
        int xlen = ByteBuffer.wrap(d, d.length - 8, 4).getInt();
        int payloadLen = d.length - 8 - xlen;
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new ZstdInputStream(new ByteArrayInputStream(d, 0, payloadLen)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName().replaceFirst("^\\./", "");
                if (e.isFile() && want.test(name)) out.put(name, tar.readAllBytes());
            }
        }
        return out;
    }

    /** manifest.tsv of an install case: path → "size:sha256" for regular files, mode in {@link #modes}. */
    static Map<String, String> manifestFiles(Path caseDir) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(caseDir.resolve("manifest.tsv"))) {
            String[] f = line.split("\t");
            if (f.length >= 6 && f[1].equals("f")) out.put(f[0], f[5]);
        }
        return out;
    }

    static Map<String, String> modes(Path caseDir) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(caseDir.resolve("manifest.tsv"))) {
            String[] f = line.split("\t");
            if (f.length >= 3) out.put(f[0], f[2]);
        }
        return out;
    }

    static String sizeSha(byte[] data) {
        try {
            return data.length + ":" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Packages (category/PF) of a case's vdb with their BUILD_ID. */
    static Map<String, String> vdbPackages(Path caseDir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (var cats = Files.list(caseDir.resolve("vdb"))) {
            for (Path cat : cats.sorted().toList()) {
                try (var pkgs = Files.list(cat)) {
                    for (Path pkg : pkgs.sorted().toList()) {
                        String id = Files.readString(pkg.resolve("BUILD_ID")).trim();
                        out.put(cat.getFileName() + "/" + pkg.getFileName(), id);
                    }
                }
            }
        }
        return out;
    }

    static List<String> contents(Path caseDir, String cpv) throws IOException {
        return Files.readAllLines(caseDir.resolve("vdb").resolve(cpv).resolve("CONTENTS"));
    }
}

package org.stageforge.binhost;

import org.bouncycastle.crypto.digests.Blake2bDigest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Builds a small binhost directory (Packages + files) for tests, with digests computed here. */
public final class TestBinhost {
    public record Pkg(String cpv, String path, byte[] data, boolean present, boolean strongDigests) {}

    private final List<Pkg> pkgs = new ArrayList<>();
    private final Random random = new Random(42);
    private String extraHeader = "";

    public TestBinhost add(String cpv, int size) {
        return add(cpv, size, true, false);
    }

    public TestBinhost add(String cpv, int size, boolean present, boolean strongDigests) {
        byte[] data = new byte[size];
        random.nextBytes(data);
        String pn = cpv.substring(cpv.indexOf('/') + 1).replaceAll("-[0-9].*$", "");
        String cat = cpv.substring(0, cpv.indexOf('/'));
        String pf = cpv.substring(cpv.indexOf('/') + 1);
        pkgs.add(new Pkg(cpv, cat + "/" + pn + "/" + pf + "-1.gpkg.tar", data, present, strongDigests));
        return this;
    }

    /** A minimal valid XPAK: random payload bytes, then an XPAK segment holding CATEGORY and PF. */
    public TestBinhost addXpak(String cpv, int payloadSize) {
        byte[] payload = new byte[payloadSize];
        random.nextBytes(payload);
        String cat = cpv.substring(0, cpv.indexOf('/'));
        String pf = cpv.substring(cpv.indexOf('/') + 1);
        String pn = pf.replaceAll("-[0-9].*$", "");
        byte[] data = xpak(payload, java.util.Map.of("CATEGORY", cat + "\n", "PF", pf + "\n"));
        pkgs.add(new Pkg(cpv, cat + "/" + pn + "/" + pf + "-1.xpak", data, true, false));
        return this;
    }

    static byte[] xpak(byte[] payload, java.util.Map<String, String> keys) {
        java.io.ByteArrayOutputStream index = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream values = new java.io.ByteArrayOutputStream();
        for (var e : new java.util.TreeMap<>(keys).entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = e.getValue().getBytes(StandardCharsets.UTF_8);
            index.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(name.length).array());
            index.writeBytes(name);
            index.writeBytes(java.nio.ByteBuffer.allocate(8).putInt(values.size()).putInt(value.length).array());
            values.writeBytes(value);
        }
        java.nio.ByteBuffer seg = java.nio.ByteBuffer.allocate(16 + index.size() + values.size() + 8);
        seg.put("XPAKPACK".getBytes(StandardCharsets.US_ASCII)).putInt(index.size()).putInt(values.size())
                .put(index.toByteArray()).put(values.toByteArray()).put("XPAKSTOP".getBytes(StandardCharsets.US_ASCII));
        java.nio.ByteBuffer all = java.nio.ByteBuffer.allocate(payload.length + seg.capacity() + 8);
        all.put(payload).put(seg.array()).putInt(seg.capacity()).put("STOP".getBytes(StandardCharsets.US_ASCII));
        return all.array();
    }

    public TestBinhost addRaw(String cpv, String path, byte[] data, boolean present) {
        pkgs.add(new Pkg(cpv, path, data, present, false));
        return this;
    }

    public TestBinhost header(String line) {
        extraHeader += line + "\n";
        return this;
    }

    public List<Pkg> pkgs() { return pkgs; }

    public Pkg pkg(String cpv) {
        return pkgs.stream().filter(p -> p.cpv().equals(cpv)).findFirst().orElseThrow();
    }

    public Path write(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder("ARCH: amd64\n" + extraHeader + "PACKAGES: " + pkgs.size() + "\nTIMESTAMP: 1700000000\nVERSION: 0\n\n");
        for (Pkg p : pkgs) {
            sb.append("BUILD_ID: 1\nCPV: ").append(p.cpv())
                    .append("\nMD5: ").append(hex("MD5", p.data()))
                    .append("\nPATH: ").append(p.path())
                    .append("\nSHA1: ").append(hex("SHA-1", p.data()))
                    .append("\nSIZE: ").append(p.data().length).append('\n');
            if (p.strongDigests())
                sb.append("SHA512: ").append(hex("SHA-512", p.data())).append("\nBLAKE2B: ").append(blake2b(p.data())).append('\n');
            sb.append('\n');
            if (p.present()) {
                Path f = dir.resolve(p.path());
                Files.createDirectories(f.getParent());
                Files.write(f, p.data());
            }
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("Packages"), sb.toString(), StandardCharsets.UTF_8);
        return dir;
    }

    public static String hex(String algo, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algo).digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String blake2b(byte[] data) {
        Blake2bDigest d = new Blake2bDigest(512);
        d.update(data, 0, data.length);
        byte[] out = new byte[64];
        d.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }
}

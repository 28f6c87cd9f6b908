package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;
import org.stageforge.spec.StageSpec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An OCI image layout (image-spec 1.1) as one tar: {@code oci-layout}, {@code index.json} and
 * {@code blobs/sha256/} holding one layer (the stage tarball's contents, gzip or zstd), the image config (rootfs
 * diff_id = sha256 of the uncompressed layer, created = SOURCE_DATE_EPOCH) and the manifest. Everything is
 * deterministic, so the same stage gives the same image; {@code podman load} and {@code skopeo} read the layout.
 */
final class Oci {
    static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Oci() {}

    static Path write(Path stageTar, Path target, StageSpec spec, long sde, String compression, Path root) throws IOException {
        Compression c = "zstd".equals(compression) ? Compression.ZSTD : Compression.GZIP;
        Path layer = target.resolveSibling("." + target.getFileName() + ".layer");
        MessageDigest diff = Build.sha256();
        MessageDigest blob = Build.sha256();
        long layerSize;
        try (InputStream in = Compression.fromFileName(stageTar.getFileName().toString()).decompress(Files.newInputStream(stageTar));
             OutputStream file = new DigestOutputStream(Files.newOutputStream(layer), blob);
             OutputStream z = new DigestOutputStream(c.compress(file), diff)) {
            in.transferTo(z);
        }
        layerSize = Files.size(layer);
        String layerDigest = "sha256:" + HexFormat.of().formatHex(blob.digest());
        String diffId = "sha256:" + HexFormat.of().formatHex(diff.digest());

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", "amd64");
        config.put("os", "linux");
        config.put("created", Instant.ofEpochSecond(sde).toString());
        config.put("config", imageConfig(spec, root));
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(diffId)));
        config.put("history", List.of(Map.of("created", Instant.ofEpochSecond(sde).toString(), "created_by", "stageforge build")));
        byte[] configBytes = JSON.writeValueAsBytes(config);
        String configDigest = "sha256:" + sha(configBytes);

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.put("config", descriptor("application/vnd.oci.image.config.v1+json", configDigest, configBytes.length, null));
        manifest.put("layers", List.of(descriptor(c == Compression.ZSTD ? LAYER_ZSTD : LAYER_GZIP, layerDigest, layerSize, null)));
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        String manifestDigest = "sha256:" + sha(manifestBytes);

        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", "application/vnd.oci.image.index.v1+json");
        index.put("manifests", List.of(descriptor("application/vnd.oci.image.manifest.v1+json", manifestDigest,
                manifestBytes.length, Map.of("org.opencontainers.image.ref.name", spec.version(),
                        "io.containerd.image.name", spec.name() + ":" + spec.version()))));
        byte[] indexBytes = JSON.writeValueAsBytes(index);

        Path tmp = target.resolveSibling("." + target.getFileName() + ".part");
        try (OutputStream o = Files.newOutputStream(tmp); TarWriter tw = new TarWriter(o, sde)) {
            TreeMap<String, Object> members = new TreeMap<>();
            members.put("blobs/", null);
            members.put("blobs/sha256/", null);
            members.put("blobs/sha256/" + hex(configDigest), configBytes);
            members.put("blobs/sha256/" + hex(manifestDigest), manifestBytes);
            members.put("blobs/sha256/" + hex(layerDigest), layer);
            members.put("index.json", indexBytes);
            members.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (Map.Entry<String, Object> m : members.entrySet()) {
                if (m.getValue() == null) {
                    tw.add(TarEntry.of(m.getKey(), TarEntry.Type.DIR, 0755, 0, 0, 0, sde, ""), InputStream.nullInputStream());
                } else if (m.getValue() instanceof byte[] b) {
                    tw.add(TarEntry.of(m.getKey(), TarEntry.Type.FILE, 0644, 0, 0, b.length, sde, ""), new ByteArrayInputStream(b));
                } else {
                    try (InputStream in = Files.newInputStream(layer)) {
                        tw.add(TarEntry.of(m.getKey(), TarEntry.Type.FILE, 0644, 0, 0, layerSize, sde, ""), in);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(layer);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /**
     * The image config's {@code config}: PATH plus the spec's env, its entrypoint, cmd, user and labels (over the
     * title and version labels). Without entrypoint and cmd, Cmd is {@code /bin/bash}, else {@code /bin/sh}, when the
     * root has it, else absent: no image names a program it does not contain.
     */
    static Map<String, Object> imageConfig(StageSpec spec, Path root) {
        StageSpec.Image img = spec.output().image();
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.putAll(img.env());
        List<String> envList = new java.util.ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        c.put("Env", envList);
        if (img.entrypoint() != null) c.put("Entrypoint", img.entrypoint());
        if (img.cmd() != null) {
            c.put("Cmd", img.cmd());
        } else if (img.entrypoint() == null) {
            for (String sh : List.of("bin/bash", "bin/sh")) {
                if (Files.isRegularFile(org.stageforge.merge.RootFiles.resolve(root, sh))) {
                    c.put("Cmd", List.of("/" + sh));
                    break;
                }
            }
        }
        if (img.user() != null) c.put("User", img.user());
        Map<String, String> labels = new TreeMap<>();
        labels.put("org.opencontainers.image.title", spec.name());
        labels.put("org.opencontainers.image.version", spec.version());
        labels.putAll(img.labels());
        c.put("Labels", labels);
        return c;
    }

    private static Map<String, Object> descriptor(String mediaType, String digest, long size, Map<String, String> ann) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        if (ann != null) d.put("annotations", ann);
        return d;
    }

    private static String hex(String digest) {
        return digest.substring("sha256:".length());
    }

    private static String sha(byte[] b) {
        return HexFormat.of().formatHex(Build.sha256().digest(b));
    }
}

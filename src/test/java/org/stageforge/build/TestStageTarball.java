package org.stageforge.build;

import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;
import org.stageforge.binpkg.Digests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds small stage tarballs for seed tests: any owners, device nodes, links, setuid files and xattrs. */
final class TestStageTarball {
    /** cap_net_raw+ep as the kernel's security.capability value (revision 2, little-endian). */
    static final byte[] CAP_NET_RAW = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final long MTIME = 1_700_000_000L;

    private record Member(TarEntry entry, byte[] content) {}

    private final List<Member> members = new ArrayList<>();

    TestStageTarball dir(String path, int mode, int uid, int gid) {
        return add(new TarEntry(path, TarEntry.Type.DIR, mode, uid, gid, "", "", 0, MTIME, 0, "", 0, 0, null), new byte[0]);
    }

    TestStageTarball file(String path, int mode, int uid, int gid, String content) {
        return file(path, mode, uid, gid, content, Map.of());
    }

    TestStageTarball file(String path, int mode, int uid, int gid, String content, Map<String, byte[]> xattrs) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        return add(new TarEntry(path, TarEntry.Type.FILE, mode, uid, gid, "", "", b.length, MTIME, 0, "", 0, 0,
                new TreeMap<>(xattrs)), b);
    }

    TestStageTarball symlink(String path, String target) {
        return add(new TarEntry(path, TarEntry.Type.SYMLINK, 0777, 0, 0, "", "", 0, MTIME, 0, target, 0, 0, null), new byte[0]);
    }

    TestStageTarball hardlink(String path, String target) {
        return add(new TarEntry(path, TarEntry.Type.HARDLINK, 0644, 0, 0, "", "", 0, MTIME, 0, target, 0, 0, null), new byte[0]);
    }

    TestStageTarball charDevice(String path, int mode, int major, int minor) {
        return add(new TarEntry(path, TarEntry.Type.CHAR, mode, 0, 0, "", "", 0, MTIME, 0, "", major, minor, null), new byte[0]);
    }

    private TestStageTarball add(TarEntry e, byte[] content) {
        members.add(new Member(e, content));
        return this;
    }

    /** A stage: root-owned tree, a portage-owned directory, a user's file, /dev/null, a symlink, a hard link, setuid ping. */
    static TestStageTarball stage() {
        return new TestStageTarball()
                .dir("./", 0755, 0, 0)
                .dir("./etc/", 0755, 0, 0)
                .file("./etc/os-release", 0644, 0, 0, "NAME=Test\n")
                .dir("./usr/", 0755, 0, 0)
                .dir("./usr/bin/", 0755, 0, 0)
                .file("./usr/bin/ping", 04711, 0, 0, "#!/bin/sh\necho ping\n", Map.of("security.capability", CAP_NET_RAW))
                .hardlink("./usr/bin/ping6", "./usr/bin/ping")
                .symlink("./bin", "usr/bin")
                .dir("./var/", 0755, 0, 0)
                .dir("./var/lib/", 0755, 0, 0)
                .dir("./var/lib/portage/", 02750, 250, 250)
                .file("./var/lib/portage/world", 0640, 250, 250, "app-misc/hello\n")
                .dir("./dev/", 0755, 0, 0)
                .charDevice("./dev/null", 0666, 1, 3)
                .dir("./home/", 0755, 0, 0)
                .file("./home/note", 0600, 1000, 100, "mine\n");
    }

    byte[] tar() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(out, -1)) {
            for (Member m : members) w.add(m.entry(), new ByteArrayInputStream(m.content()));
        }
        return out.toByteArray();
    }

    byte[] compressed(Compression c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream os = c.compress(out)) {
            os.write(tar());
        }
        return out.toByteArray();
    }

    static String sha512(byte[] data) {
        return hash("SHA512", data);
    }

    static String blake2b(byte[] data) {
        return hash("BLAKE2B", data);
    }

    private static String hash(String alg, byte[] data) {
        Digests d = new Digests(List.of(alg));
        d.update(data, 0, data.length);
        return d.hex().get(alg);
    }
}

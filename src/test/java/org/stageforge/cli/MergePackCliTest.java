package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MergePackCliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A minimal XPAK: zstd tar image plus metadata. */
    static Path xpak(Path dir, String cat, String pf, Map<String, String> files) throws IOException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        try (OutputStream z = Compression.ZSTD.compress(payload); TarWriter tar = new TarWriter(z, -1)) {
            for (var f : files.entrySet()) {
                byte[] d = f.getValue().getBytes(StandardCharsets.UTF_8);
                tar.add(TarEntry.of("./" + f.getKey(), TarEntry.Type.FILE, 0644, 0, 0, d.length, 1_700_000_000L, ""),
                        new ByteArrayInputStream(d));
            }
        }
        ByteArrayOutputStream index = new ByteArrayOutputStream(), data = new ByteArrayOutputStream();
        for (var m : Map.of("CATEGORY", cat, "PF", pf, "SLOT", "0", "BUILD_TIME", "1700000000").entrySet()) {
            byte[] n = m.getKey().getBytes(StandardCharsets.UTF_8), v = (m.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
            index.writeBytes(ByteBuffer.allocate(4).putInt(n.length).array());
            index.writeBytes(n);
            index.writeBytes(ByteBuffer.allocate(8).putInt(data.size()).putInt(v.length).array());
            data.writeBytes(v);
        }
        ByteArrayOutputStream seg = new ByteArrayOutputStream();
        seg.writeBytes("XPAKPACK".getBytes(StandardCharsets.US_ASCII));
        seg.writeBytes(ByteBuffer.allocate(8).putInt(index.size()).putInt(data.size()).array());
        seg.writeBytes(index.toByteArray());
        seg.writeBytes(data.toByteArray());
        seg.writeBytes("XPAKSTOP".getBytes(StandardCharsets.US_ASCII));
        Path out = dir.resolve(pf + ".xpak");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(payload.toByteArray());
        all.writeBytes(seg.toByteArray());
        all.writeBytes(ByteBuffer.allocate(4).putInt(seg.size()).array());
        all.writeBytes("STOP".getBytes(StandardCharsets.US_ASCII));
        Files.write(out, all.toByteArray());
        return out;
    }

    @Test
    void mergeCheckPurgePack() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path a = xpak(tmp, "app-misc", "a-1", Map.of("usr/share/doc/a/README", "r", "usr/bin/a", "a"));
        Run m = run("merge", "--root", root.toString(), "--no-phases", "--unprivileged", a.toString());
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(m.out()).contains(">>> app-misc/a-1: ");
        assertThat(Files.readString(root.resolve("var/lib/portage/world"))).isEqualTo("app-misc/a\n");

        Run c = run("installmask", "check", "--root", root.toString(), "--install-mask", "@docs", "--json");
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.out()).contains("\"cpv\" : \"app-misc/a-1\"", "/usr/share/doc/a/README");
        Run p = run("installmask", "purge", "--root", root.toString(), "--install-mask", "@docs");
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(root.resolve("usr/share/doc/a/README")).doesNotExist();
        assertThat(run("installmask", "check", "--root", root.toString(), "--install-mask", "@docs").out())
                .contains("0 package(s)");

        Run k = run("pack", root.toString(), "-o", tmp.resolve("out/stage.tar.gz").toString(), "--source-date-epoch", "1700000000");
        assertThat(k.code()).as(k.err()).isZero();
        assertThat(Files.readString(tmp.resolve("out/SHA512SUMS"))).endsWith("  stage.tar.gz\n");
    }

    @Test
    void badInputIsOneLine() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path junk = Files.writeString(tmp.resolve("junk.xpak"), "not a package");
        Run m = run("merge", "--root", root.toString(), junk.toString());
        assertThat(m.code()).isNotZero();
        assertThat(m.err().strip()).startsWith("stageforge: ").doesNotContain("\n");
        Run k = run("pack", root.toString(), "-o", tmp.resolve("x.zip").toString());
        assertThat(k.code()).isNotZero();
        assertThat(k.err()).contains("unknown archive type");
    }
}

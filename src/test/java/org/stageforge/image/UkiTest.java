package org.stageforge.image;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unified kernel images made with objcopy from the systemd EFI stub (Debian systemd-boot-efi on the host, see .ci/run). */
class UkiTest {
    static final Path HOST_STUB = Path.of("/" + Uki.STUB);

    @TempDir
    Path tmp;

    @BeforeEach
    void tools() {
        Assumptions.assumeTrue(Files.isRegularFile(HOST_STUB), "needs " + HOST_STUB + " (systemd-boot-efi)");
        Assumptions.assumeTrue(ImageListing.onPath("objcopy") && ImageListing.onPath("objdump"), "needs objcopy, objdump (binutils)");
    }

    private Path root() throws Exception {
        Path r = tmp.resolve("root");
        Files.createDirectories(r.resolve(Uki.STUB).getParent());
        Files.copy(HOST_STUB, r.resolve(Uki.STUB));
        byte[] k = new byte[3 << 20];
        new java.util.Random(7).nextBytes(k);
        Files.write(tmp.resolve("vmlinuz"), k);
        Files.writeString(tmp.resolve("initrd"), "INITRD".repeat(1000));
        return r;
    }

    @Test
    void sectionsAreAddedReproducibly() throws Exception {
        Path r = root();
        Path one = tmp.resolve("one.efi");
        Path two = tmp.resolve("two.efi");
        Uki.write(r, tmp.resolve("vmlinuz"), tmp.resolve("initrd"), Uki.osRelease("tiny", "1.0", "A"), "root=PARTUUID=x ro", one);
        Files.setLastModifiedTime(tmp.resolve("vmlinuz"), java.nio.file.attribute.FileTime.fromMillis(0));
        Uki.write(r, tmp.resolve("vmlinuz"), tmp.resolve("initrd"), Uki.osRelease("tiny", "1.0", "A"), "root=PARTUUID=x ro", two);
        assertThat(Files.mismatch(one, two)).isEqualTo(-1L);
        String p = ImageListing.run(List.of("objdump", "-p", one.toString()), tmp);
        assertThat(p).contains("Time/Date\t\tThu Jan  1 00:00:00 1970");
        String h = ImageListing.run(List.of("objdump", "-h", one.toString()), tmp);
        // the stub's SizeOfImage (< 64 KiB steps) decides where .osrel starts; the kernel at systemd's 32 MiB
        assertThat(h).containsPattern("\\.osrel\\s+0000003d\\s+0+[1-9a-f]0000\\b")
                .containsPattern("\\.cmdline\\s+00000012\\s")
                .containsPattern("\\.linux\\s+00300000\\s+0+2000000\\b")
                .containsPattern("\\.initrd\\s+00001770\\s+0+3000000\\b");
        for (var s : List.of(List.of(".cmdline", "root=PARTUUID=x ro"), List.of(".osrel", Uki.osRelease("tiny", "1.0", "A")))) {
            Path f = tmp.resolve("section");
            ImageListing.run(List.of("objcopy", "-O", "binary", "--only-section=" + s.get(0), one.toString(), f.toString()), tmp);
            assertThat(f).hasContent(s.get(1));
        }
        assertThat(Uki.osRelease("tiny", "1.0", "A")).isEqualTo("NAME=\"tiny\"\nVERSION_ID=\"1.0\"\nPRETTY_NAME=\"tiny 1.0 (slot A)\"\n");
    }

    @Test
    void aRootWithoutTheStubIsRefused() throws Exception {
        Path r = root();
        Files.delete(r.resolve(Uki.STUB));
        assertThatThrownBy(() -> Uki.write(r, tmp.resolve("vmlinuz"), null, "", "", tmp.resolve("x.efi")))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.BAD_INPUT))
                .hasMessageEndingWith("[kernel] uki needs /usr/lib/systemd/boot/efi/linuxx64.efi.stub in the root (sys-apps/systemd-boot, Debian systemd-boot-efi)");
        assertThat(tmp.resolve("x.efi")).doesNotExist();
    }
}

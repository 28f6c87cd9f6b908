package org.stageforge.binhost;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.index.PackagesEntry;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SignaturePresenceTest {
    @TempDir
    Path tmp;

    private static final String SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nDATA gpkg-1 0\n"
            + "-----BEGIN PGP SIGNATURE-----\n\nxx\n-----END PGP SIGNATURE-----\n";

    private final IndexRef ref = new IndexRef(new PackagesEntry(Map.of("CPV", "app-misc/x-1", "PATH", "app-misc/x/x-1-1.gpkg.tar"),
            Map.of(), 0));

    private Path gpkg(Map<String, String> members) throws Exception {
        Path f = tmp.resolve("p" + members.hashCode() + ".gpkg.tar");
        try (OutputStream os = Files.newOutputStream(f); TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var m : members.entrySet()) {
                byte[] b = m.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry("x-1/" + m.getKey());
                e.setSize(b.length);
                tar.putArchiveEntry(e);
                tar.write(b);
                tar.closeArchiveEntry();
            }
        }
        return f;
    }

    private static Map<String, String> members(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private String refusal(Path f) {
        StageforgeException e = catchThrowableOfType(() -> new SignaturePresence().verify(f, ref), StageforgeException.class);
        assertThat(e).isNotNull();
        assertThat(e.exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(e.getMessage()).startsWith("app-misc/x-1 (app-misc/x/x-1-1.gpkg.tar) is not signed but signatures are required: ");
        return e.getMessage();
    }

    @Test
    void acceptsASignedLayout() throws Exception {
        Path f = gpkg(members("gpkg-1", "", "metadata.tar.zst", "m", "metadata.tar.zst.sig", "s",
                "image.tar.zst", "i", "image.tar.zst.sig", "s", "Manifest", SIGNED));
        assertThatCode(() -> new SignaturePresence().verify(f, ref)).doesNotThrowAnyException();
    }

    @Test
    void refusesWhatLacksASignature() throws Exception {
        assertThat(refusal(gpkg(members("gpkg-1", "", "metadata.tar.zst", "m", "metadata.tar.zst.sig", "s",
                "image.tar.zst", "i", "Manifest", SIGNED)))).endsWith("member image.tar.zst has no image.tar.zst.sig");
        assertThat(refusal(gpkg(members("gpkg-1", "", "metadata.tar.zst", "m", "metadata.tar.zst.sig", "s",
                "image.tar.zst", "i", "image.tar.zst.sig", "s", "Manifest", "DATA gpkg-1 0\n")))).endsWith("its Manifest is not signed");
        assertThat(refusal(gpkg(members("gpkg-1", "", "image.tar.zst", "i", "image.tar.zst.sig", "s"))))
                .endsWith("the GPKG has no Manifest");
        Path xpak = Files.write(tmp.resolve("x.xpak"), TestBinhost.xpak(new byte[100], Map.of("PF", "x-1\n")));
        assertThat(refusal(xpak)).endsWith("it is not a GPKG (only GPKG binpkgs can be signed)");
    }
}

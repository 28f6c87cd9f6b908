package org.stageforge.phase;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** locale-gen with the root's own localedef, in the phase sandbox. */
class LocaleGenTest {
    @TempDir
    Path tmp;

    private static final Duration T = Duration.ofMinutes(2);

    private static void write(Path p, String s) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }

    /** A root with locale sources for en_US/de_DE@euro and the UTF-8 charmap (contents unread by the fake). */
    private Path fakeRoot(String localedef) throws Exception {
        Path root = tmp.resolve("root");
        write(root.resolve("etc/locale.gen"), "# comment\nen_US.UTF-8 UTF-8\n\nde_DE@euro ISO-8859-15\n");
        write(root.resolve("usr/share/i18n/locales/en_US"), "x\n");
        write(root.resolve("usr/share/i18n/locales/de_DE@euro"), "x\n");
        write(root.resolve("usr/share/i18n/charmaps/UTF-8.gz"), "x\n");
        write(root.resolve("usr/share/i18n/charmaps/ISO-8859-15.gz"), "x\n");
        write(root.resolve("usr/share/locale/locale.alias"), "\n");
        Path ld = root.resolve(LocaleGen.LOCALEDEF);
        write(ld, localedef);
        Files.setPosixFilePermissions(ld, PosixFilePermissions.fromString("rwxr-xr-x"));
        return root;
    }

    @Test
    void runsTheRootsLocaledefOncePerLocaleWithTheRootsSources() throws Exception {
        // a fake localedef (a script, so it runs as it is) that records how it was called
        Path root = fakeRoot("""
                #!/bin/bash
                printf '%s|' "I18NPATH=$I18NPATH" "$@" >> "$2/calls"
                echo >> "$2/calls"
                printf 'archive\\n' >> "$2/usr/lib/locale/locale-archive"
                """);
        assertThat(LocaleGen.available(root)).isTrue();
        List<LocaleGen.Built> built = LocaleGen.run(root, tmp.resolve("work"), T);
        assertThat(built).extracting(LocaleGen.Built::name).containsExactly("en_US.UTF-8", "de_DE@euro");
        String r = root.toRealPath().toString();
        String i18n = r + "/usr/share/i18n";
        assertThat(Files.readAllLines(root.resolve("calls"))).containsExactly(
                "I18NPATH=" + i18n + "|--prefix|" + r + "|-i|" + i18n + "/locales/en_US|-f|UTF-8|-A|" + r
                        + "/usr/share/locale/locale.alias|en_US.UTF-8|",
                "I18NPATH=" + i18n + "|--prefix|" + r + "|-i|" + i18n + "/locales/de_DE@euro|-f|ISO-8859-15|-A|" + r
                        + "/usr/share/locale/locale.alias|de_DE@euro|");
        assertThat(root.resolve(LocaleGen.ARCHIVE)).hasContent("archive\narchive");
    }

    @Test
    void aFailingLocaledefOrAMissingSourceStopsWithTheLocaleNamed() throws Exception {
        Path root = fakeRoot("#!/bin/bash\necho 'no such charmap' >&2\nexit 4\n");
        assertThatThrownBy(() -> LocaleGen.run(root, tmp.resolve("work"), T)).isInstanceOf(StageforgeException.class)
                .hasMessage("locale-gen: localedef for en_US.UTF-8 failed with status 4: no such charmap");
        Files.delete(root.resolve("usr/share/i18n/locales/en_US"));
        assertThatThrownBy(() -> LocaleGen.run(root, tmp.resolve("work"), T))
                .hasMessage("locale-gen: en_US.UTF-8 UTF-8: the root has no locale source usr/share/i18n/locales/en_US");
    }

    @Test
    void aRootWithoutLocaledefOrLocalesHasNothingToRun() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("empty"));
        assertThat(LocaleGen.available(root)).isFalse();
        assertThat(LocaleGen.run(root, tmp.resolve("work"), T)).isEmpty();
    }

    /**
     * The real thing: the host's glibc localedef, its loader and C library copied into a root with the host's locale
     * sources, started through the root's loader; the archive lists the locale and two runs give the same bytes.
     */
    @Test
    void aRealLocaledefBuildsAReproducibleArchive() throws Exception {
        Path hostLocaledef = Path.of("/usr/bin/localedef");
        Path i18n = Path.of("/usr/share/i18n");
        assumeTrue(Files.isExecutable(hostLocaledef) && Files.isRegularFile(i18n.resolve("locales/en_US"))
                && Files.isRegularFile(i18n.resolve("charmaps/UTF-8.gz")), "host has no glibc localedef with locale sources");
        String interp = LocaleGen.elfInterpreter(hostLocaledef);
        assumeTrue(interp != null, "host localedef is not a dynamic ELF");
        List<byte[]> archives = new ArrayList<>();
        for (String n : List.of("r1", "r2")) {
            Path root = tmp.resolve(n);
            Files.createDirectories(root.resolve("usr/bin"));
            Files.createDirectories(root.resolve("lib64"));
            Files.copy(hostLocaledef, root.resolve(LocaleGen.LOCALEDEF));
            Path loader = root.resolve(interp.substring(1));
            Files.createDirectories(loader.getParent());
            Files.copy(Path.of(interp).toRealPath(), loader);
            for (Path lib : libraries(hostLocaledef)) {
                Files.copy(lib.toRealPath(), root.resolve("lib64").resolve(lib.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            copyTree(i18n.resolve("locales"), root.resolve("usr/share/i18n/locales"));
            Files.createDirectories(root.resolve("usr/share/i18n/charmaps"));
            Files.copy(i18n.resolve("charmaps/UTF-8.gz"), root.resolve("usr/share/i18n/charmaps/UTF-8.gz"));
            write(root.resolve("etc/locale.gen"), "en_US.UTF-8 UTF-8\n");
            assertThat(LocaleGen.run(root, tmp.resolve("work-" + n), T)).hasSize(1);
            archives.add(Files.readAllBytes(root.resolve(LocaleGen.ARCHIVE)));
            Process p = new ProcessBuilder(hostLocaledef.toString(), "--prefix", root.toString(), "--list-archive")
                    .redirectErrorStream(true).start();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip()).isEqualTo("en_US.utf8");
            assertThat(p.waitFor()).isZero();
        }
        assertThat(archives.get(1)).isEqualTo(archives.get(0));
    }

    /** The shared libraries ldd lists for {@code exe} (the loader itself and the vDSO left out). */
    private static List<Path> libraries(Path exe) throws Exception {
        Process p = new ProcessBuilder("ldd", exe.toString()).redirectErrorStream(true).start();
        List<Path> out = new ArrayList<>();
        for (String l : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            int arrow = l.indexOf("=> /");
            if (arrow >= 0) out.add(Path.of(l.substring(arrow + 3).replaceFirst(" \\(0x[0-9a-f]+\\)$", "").strip()));
        }
        assumeTrue(p.waitFor() == 0 && !out.isEmpty(), "ldd cannot list localedef's libraries");
        return out;
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else if (Files.isRegularFile(p)) Files.copy(p, t);
            }
        }
    }
}

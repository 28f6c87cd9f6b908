package org.stageforge.pipeline;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stageforge.spec.SpecParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.pipeline.BootPackages.boot;
import static org.stageforge.pipeline.BootPackages.onPath;
import static org.stageforge.pipeline.BootPackages.partUuids;
import static org.stageforge.pipeline.BootPackages.run;

/**
 * {@code [kernel] uki = true} for real: the {@link BootPackages} disk whose ESP holds one unified kernel image per slot
 * (the root's systemd EFI stub with the kernel, stageforge's initramfs and the slot's command line, made by objcopy)
 * instead of type #1 entries, slot B's named for boot counting; QEMU with OVMF boots slot A's through systemd-boot to
 * the root's marker with the command line inside it (switching slots and counting tries is {@link BootDiskTest}'s).
 */
class UkiBootTest {
    static Path work;
    static Path disk;
    static String reason;

    @BeforeAll
    static void buildOnce() throws Exception {
        reason = BootPackages.stageMissing();
        if (reason == null && !onPath("objcopy")) reason = "objcopy not installed (binutils, see .ci/run)";
        if (reason != null) return;
        work = Files.createTempDirectory("stageforge-uki");
        BootPackages.prepare(work);
        Files.writeString(work.resolve("spec.toml"), BootPackages.spec("uki = true"));
        Build.run(SpecParser.parse(work.resolve("spec.toml")), BuildOptions.of(work.resolve("build"), work.resolve("out")),
                Reporter.silent(work.resolve("logs")));
        disk = work.resolve("out/bootme-1.0.disk.raw");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) org.stageforge.util.Dirs.deleteTree(work);
    }

    @Test
    void qemuBootsTheUnifiedKernelImageOfSlotA() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        Assumptions.assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86 not installed");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd")), "ovmf not installed");
        Path d = work.resolve("boot.raw");
        Files.copy(disk, d);
        // the ESP: systemd-boot, a UKI per slot (B with boot counting), no type #1 entries, no loose kernel
        String esp = run(List.of("mdir", "-/", "-b", "-i", d + "@@1048576", "::/"), 60);
        assertThat(esp).contains("::/EFI/BOOT/BOOTX64.EFI", "::/EFI/Linux/bootme-a.efi", "::/EFI/Linux/bootme-b+1.efi",
                "::/loader/loader.conf").doesNotContain("::/loader/entries/", "::/bootme/");
        Path vars = work.resolve("vars.fd");
        Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), vars);
        Map<String, String> uuids = partUuids(d);

        // the command line the kernel got is the one in slot A's UKI
        String first = boot(work, d, vars, "1");
        assertThat(first).contains("root=PARTUUID=" + uuids.get("SYSFS"));
    }
}

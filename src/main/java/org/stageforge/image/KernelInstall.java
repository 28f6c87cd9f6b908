package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * installkernel's {@code /boot} layout for a kernel a package merged: {@code vmlinuz-VERSION} (and
 * {@code System.map-VERSION}, {@code config-VERSION} where the package has them) from wherever the package put the
 * image — {@code /boot} itself, {@code /lib/modules/VERSION/vmlinuz} (dist-kernels, kernel-install) or a built
 * {@code /usr/src/linux-VERSION}.
 */
public final class KernelInstall {
    private KernelInstall() {}

    /** The version of the one kernel in {@code root}, its image installed as {@code /boot/vmlinuz-VERSION}. */
    public static String install(Path root, Path boot) throws IOException {
        List<String> versions = new ArrayList<>();
        for (String d : List.of("lib/modules", "usr/lib/modules")) {
            Path m = root.resolve(d);
            if (!Files.isDirectory(m, LinkOption.NOFOLLOW_LINKS)) continue;
            try (var s = Files.list(m)) {
                for (Path v : s.sorted().toList()) {
                    String n = v.getFileName().toString();
                    if (Files.isDirectory(v, LinkOption.NOFOLLOW_LINKS) && !versions.contains(n) && image(root, n) != null) versions.add(n);
                }
            }
        }
        if (versions.size() != 1) {
            throw new StageforgeException(root + ": [kernel] package: expected one kernel (lib/modules/VERSION with vmlinuz in /boot, "
                    + "lib/modules/VERSION/vmlinuz or usr/src/linux-VERSION), found " + (versions.isEmpty() ? "none" : String.join(", ", versions)),
                    ExitCodes.BAD_INPUT, null);
        }
        String v = versions.get(0);
        Path img = image(root, v);
        Path target = boot.resolve("vmlinuz-" + v);
        if (!img.equals(target)) {
            Files.copy(img, target, StandardCopyOption.REPLACE_EXISTING);
            Path src = root.resolve("usr/src/linux-" + v);
            copyIfRegular(src.resolve("System.map"), boot.resolve("System.map-" + v));
            copyIfRegular(src.resolve(".config"), boot.resolve("config-" + v));
        }
        return v;
    }

    /** The modules directory of kernel {@code version}. */
    public static Path modulesDir(Path root, String version) {
        Path usr = root.resolve("usr/lib/modules/" + version);
        return Files.isDirectory(root.resolve("lib/modules/" + version), LinkOption.NOFOLLOW_LINKS) ? root.resolve("lib/modules/" + version) : usr;
    }

    private static Path image(Path root, String v) {
        for (String c : List.of("boot/vmlinuz-" + v, "lib/modules/" + v + "/vmlinuz", "usr/lib/modules/" + v + "/vmlinuz",
                "usr/src/linux-" + v + "/arch/x86/boot/bzImage", "usr/src/linux-" + v + "/arch/arm64/boot/Image")) {
            if (Files.isRegularFile(root.resolve(c), LinkOption.NOFOLLOW_LINKS)) return root.resolve(c);
        }
        return null;
    }

    private static void copyIfRegular(Path src, Path dst) throws IOException {
        if (Files.isRegularFile(src, LinkOption.NOFOLLOW_LINKS) && !Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) Files.copy(src, dst);
    }
}

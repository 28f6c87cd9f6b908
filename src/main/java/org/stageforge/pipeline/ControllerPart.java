package org.stageforge.pipeline;

import org.bouncycastle.bcpg.ArmoredInputStream;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.controller.ControllerConfig;
import org.stageforge.controller.ControllerFiles;
import org.stageforge.spec.StageSpec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code [controller]} in the root (the configure part): with {@code mode = "controller"} the controller
 * ({@code /usr/bin/stageforge-controller}, {@code /usr/lib/stageforge-controller/*.sh}), its health service for the
 * root's init (OpenRC {@code stageforge-health} in the default runlevel, or the systemd units enabled for
 * multi-user.target), its {@code config.d} file and the keyring; with {@code mode = "sysupdate"} the transfer file
 * and the keyring as {@code /etc/systemd/import-pubring.gpg}.
 */
final class ControllerPart {
    private ControllerPart() {}

    /** Installs into {@code root}; returns what was written (sorted paths), for the part's digest. */
    static List<String> install(StageSpec spec, Path root) throws IOException {
        StageSpec.Controller c = spec.controller();
        List<String> written = new ArrayList<>();
        byte[] keyring = keyring(c.keyring());
        if (c.mode().equals("sysupdate")) {
            write(root, ControllerConfig.SYSUPDATE_KEYRING, keyring, 0644, written);
            write(root, ControllerConfig.TRANSFER, ControllerConfig.transfer(spec).getBytes(StandardCharsets.UTF_8), 0644, written);
            return written;
        }
        boolean openrc = present(root, "sbin/openrc", "sbin/openrc-run", "usr/sbin/openrc-run");
        boolean systemd = present(root, "usr/lib/systemd/systemd", "lib/systemd/systemd");
        if (!openrc && !systemd) {
            throw new StageforgeException(spec.file() + ": [controller] mode = \"controller\" needs OpenRC (sbin/openrc) or systemd "
                    + "(usr/lib/systemd/systemd) in the root for its health service", ExitCodes.BAD_INPUT, null);
        }
        Path files = Files.createTempDirectory("stageforge-controller");
        try {
            ControllerFiles.export(files);
            write(root, "/usr/bin/stageforge-controller", Files.readAllBytes(files.resolve("stageforge-controller")), 0755, written);
            try (var s = Files.list(files.resolve("lib"))) {
                for (Path lib : s.sorted().toList()) {
                    write(root, "/usr/lib/stageforge-controller/" + lib.getFileName(), Files.readAllBytes(lib), Files.isExecutable(lib) ? 0755 : 0644, written);
                }
            }
            if (openrc) {
                write(root, "/etc/init.d/stageforge-health", Files.readAllBytes(files.resolve("openrc/stageforge-health")), 0755, written);
                link(root, "etc/runlevels/default", "stageforge-health", "/etc/init.d/stageforge-health", written);
            }
            if (systemd) {
                for (String unit : List.of("stageforge-healthy.service", "stageforge-shutdown-ok.service")) {
                    write(root, "/usr/lib/systemd/system/" + unit, Files.readAllBytes(files.resolve("systemd/" + unit)), 0644, written);
                    link(root, "etc/systemd/system/multi-user.target.wants", unit, "/usr/lib/systemd/system/" + unit, written);
                }
            }
        } finally {
            try (var s = Files.walk(files)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        write(root, ControllerConfig.KEYRING, keyring, 0644, written);
        write(root, ControllerConfig.CONFIG_D + "/50-spec.conf", ControllerConfig.configD(c).getBytes(StandardCharsets.UTF_8), 0644, written);
        return written.stream().sorted().toList();
    }

    /** The spec's keyring as a binary keyring (gpgv and systemd-pull read that); an armored one is dearmored. */
    static byte[] keyring(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (!new String(b, 0, Math.min(b.length, 64), StandardCharsets.US_ASCII).contains("-----BEGIN PGP")) return b;
        try (InputStream in = ArmoredInputStream.builder().build(new ByteArrayInputStream(b))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new StageforgeException(file + ": [controller] keyring is not an OpenPGP key file: " + e.getMessage(), ExitCodes.BAD_INPUT, e);
        }
    }

    private static boolean present(Path root, String... rels) {
        for (String r : rels) if (Files.exists(root.resolve(r), LinkOption.NOFOLLOW_LINKS)) return true;
        return false;
    }

    private static void write(Path root, String abs, byte[] data, int mode, List<String> written) throws IOException {
        String rel = abs.substring(1);
        int slash = rel.lastIndexOf('/');
        Path dir = FileOps.dirInRoot(root, rel.substring(0, slash));
        Path target = dir.resolve(rel.substring(slash + 1));
        Path tmp = Files.write(dir.resolve("." + target.getFileName() + ".new"), data);
        FileOps.copyInto(tmp, target, mode);
        Files.delete(tmp);
        written.add(abs);
    }

    private static void link(Path root, String dirRel, String name, String to, List<String> written) throws IOException {
        Path l = FileOps.dirInRoot(root, dirRel).resolve(name);
        if (Files.exists(l, LinkOption.NOFOLLOW_LINKS)) Files.delete(l);
        Files.createSymbolicLink(l, Path.of(to));
        written.add("/" + dirRel + "/" + name + " -> " + to);
    }
}

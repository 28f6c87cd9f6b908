package org.stageforge.image;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.build.Sandbox;
import org.stageforge.build.SeedRoot;
import org.stageforge.controller.ControllerFiles;
import org.stageforge.spec.StageSpec;
import org.stageforge.util.Dirs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The initramfs made by dracut ({@code [kernel] initramfs_builder = "dracut"}), run in a {@link Sandbox} over a
 * throwaway layer: over the target root itself when it has {@code /usr/bin/dracut}, else over the {@code [seed]} with
 * the target root bound read-only at {@link #TARGET} (dracut takes the kernel modules, firmware, configuration and
 * {@code initramfs_files} from there, its programs from the seed). Deterministic: {@code --reproducible} (sorted cpio,
 * inode numbers counted, owners 0:0) with every file newer than SOURCE_DATE_EPOCH given that mtime, no host-only
 * mode, no early microcode, a fixed compressor ({@code zstd -15 -T1}, or none).
 */
public final class DracutInitramfs {
    /** Where the target root is bound when the seed's dracut runs. */
    static final String TARGET = "/run/stageforge/target";
    private static final String OUT = "/run/stageforge/out";
    private static final String SCRIPT = "run/stageforge/dracut.sh";
    /** The script's exit status for a problem of the input it reports itself (one "stageforge: " line). */
    private static final int BAD_INPUT = 64;

    /**
     * One dracut run: {@code seed} is null when the root's own dracut runs (or when the spec has no seed);
     * {@code work} holds the sandbox layer and the files bound into it; {@code log} gets dracut's output.
     */
    public record Request(Path root, String kernelVersion, StageSpec.GeneratedInitramfs initramfs, StageSpec.Disk disk,
                          SeedRoot seed, long sourceDateEpoch, Path work, Path log) {}

    private DracutInitramfs() {}

    /** Whether {@code root} has its own dracut (then the seed is not needed). */
    public static boolean hasDracut(Path root) {
        return isFile(root, "usr/bin/dracut");
    }

    /** Runs dracut for {@code r} and installs the image at {@code out} (mode 0644). */
    public static void build(Request r, Path out) throws IOException {
        boolean own = hasDracut(r.root());
        if (!own && (r.seed() == null || !hasDracut(r.seed().dir()))) {
            throw new StageforgeException(r.root() + ": [kernel] initramfs_builder = \"dracut\": the root has no /usr/bin/dracut (merge sys-kernel/dracut) and "
                    + (r.seed() == null ? "the spec has no [seed] to run one from" : "neither has the [seed] " + r.seed().dir()),
                    ExitCodes.BAD_INPUT, null);
        }
        String prefix = own ? "" : TARGET;
        String kmod = modulesDir(r.root(), r.kernelVersion());
        StageSpec.GeneratedInitramfs g = r.initramfs();
        Path work = r.work().toAbsolutePath();
        Dirs.deleteTree(work);
        Path outDir = Files.createDirectories(work.resolve("out"));
        List<Sandbox.Bind> binds = new ArrayList<>();
        if (!own) binds.add(new Sandbox.Bind(r.root().toAbsolutePath(), TARGET, false));
        binds.add(new Sandbox.Bind(outDir, OUT, true));

        List<String> args = new ArrayList<>(List.of("--no-hostonly", "--no-hostonly-cmdline", "--reproducible",
                "--no-early-microcode", "--no-machineid", "--force", "--tmpdir", "/var/tmp"));
        args.addAll(g.dracut().compress().equals("none") ? List.of("--no-compress") : List.of("--compress", "zstd -15 -q -T1"));
        if (!own) {
            // the target's dracut configuration and firmware, not the seed's
            args.addAll(List.of("--conf", isFile(r.root(), "etc/dracut.conf") ? TARGET + "/etc/dracut.conf" : "/dev/null"));
            args.addAll(List.of("--confdir", isDir(r.root(), "etc/dracut.conf.d") ? TARGET + "/etc/dracut.conf.d" : "/run/stageforge/empty"));
            for (String fw : List.of("lib/firmware", "usr/lib/firmware")) {
                if (isDir(r.root(), fw)) {
                    args.addAll(List.of("--fwdir", TARGET + "/" + fw));
                    break;
                }
            }
        }
        if (!g.modules().isEmpty()) args.addAll(List.of("--add-drivers", String.join(" ", g.modules())));
        List<String> files = new ArrayList<>(g.files());
        if (g.controller() != null) {
            args.addAll(List.of("--add", "stageforge"));
            binds.addAll(controller(r, work));
            if (g.controller().keyring() != null && !files.contains(g.controller().keyring())) files.add(g.controller().keyring());
        }
        for (String f : files) {
            checkInRoot(r.root(), f);
            args.addAll(List.of("--include", prefix + f, f));
        }

        List<String> argv = new ArrayList<>(List.of("/bin/sh", "/" + SCRIPT, r.kernelVersion(), prefix + kmod, OUT + "/initramfs.img",
                g.dracut().compress()));
        argv.addAll(args);
        SeedRoot over = own ? new SeedRoot(r.root(), "target root", false) : r.seed();
        Files.createDirectories(r.log().toAbsolutePath().getParent());
        Files.deleteIfExists(r.log());
        Sandbox.Spec spec = new Sandbox.Spec(over, work.resolve("sandbox"), binds,
                Map.of("SOURCE_DATE_EPOCH", Long.toString(r.sourceDateEpoch()), "TMPDIR", "/var/tmp"), false,
                Map.of(SCRIPT, script(), "run/stageforge/empty/.keep", ""));
        int exit = Sandbox.run(spec, argv, r.log(), false);
        Path img = outDir.resolve("initramfs.img");
        if (exit != 0 || !Files.isRegularFile(img, LinkOption.NOFOLLOW_LINKS)) {
            String said = said(r.log());
            throw new StageforgeException((own ? "the root's" : "the seed's") + " dracut failed (exit " + exit + ")"
                    + (said != null ? ": " + said : "") + "; see " + r.log(), exit == BAD_INPUT ? ExitCodes.BAD_INPUT : ExitCodes.FAILURE, null);
        }
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-r--r--"));
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.move(img, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Dirs.deleteTree(work);
    }

    /**
     * The controller's dracut module ({@code 90stageforge}) and the controller of this stageforge bound over the
     * dracut root, and {@code /etc/stageforge}: the root's (files and directories only) with
     * {@code config.d/00-stageforge.conf} from the spec first in order, as {@link ControllerInitramfs} writes it.
     */
    private static List<Sandbox.Bind> controller(Request r, Path work) throws IOException {
        Path files = work.resolve("controller");
        ControllerFiles.export(files);
        Path etc = work.resolve("etc-stageforge");
        Path src = r.root().resolve("etc/stageforge");
        if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) copyPlain(r.root(), src, etc);
        Files.createDirectories(etc.resolve("config.d"));
        Files.writeString(etc.resolve("config.d/00-stageforge.conf"), ControllerInitramfs.config(r.initramfs().controller(), r.disk()),
                StandardCharsets.UTF_8);
        return List.of(new Sandbox.Bind(files.resolve("dracut/90stageforge"), "/usr/lib/dracut/modules.d/90stageforge", false),
                new Sandbox.Bind(files.resolve("stageforge-controller"), "/usr/bin/stageforge-controller", false),
                new Sandbox.Bind(files.resolve("lib"), "/usr/lib/stageforge-controller", false),
                new Sandbox.Bind(etc, "/etc/stageforge", false));
    }

    /** Copies a directory of the root: regular files and directories; anything else is refused. */
    private static void copyPlain(Path root, Path src, Path dst) throws IOException {
        Files.createDirectories(dst);
        for (Path c : Dirs.sortedChildren(src)) {
            Path d = dst.resolve(c.getFileName().toString());
            if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) copyPlain(root, c, d);
            else if (Files.isRegularFile(c, LinkOption.NOFOLLOW_LINKS)) Files.copy(c, d);
            else throw bad(root, "/" + root.relativize(c), "not a regular file or directory (the controller's configuration)");
        }
    }

    /**
     * Runs dracut for kernel $1 with modules from $2 into $3, compressor $4, then dracut's own arguments. dracut
     * {@code --reproducible} gives every file newer than {@code dracut-functions.sh} that file's mtime, so it is set
     * to SOURCE_DATE_EPOCH first (in the throwaway layer). Without a {@code modules.dep} (a kernel package whose
     * depmod runs at installation) dracut finds no module: depmod runs on a copy in the layer.
     */
    static String script() {
        return """
                set -eu
                kver=$1 kmod=$2 out=$3 compress=$4
                shift 4
                fail() { echo "stageforge: $*" >&2; exit %d; }
                [ -d "$kmod" ] || fail "$kmod: no kernel modules for $kver"
                if [ "$compress" = zstd ] && ! command -v zstd >/dev/null 2>&1; then
                  fail "initramfs_compress = \\"zstd\\" but zstd is not installed beside dracut"
                fi
                touch -d "@$SOURCE_DATE_EPOCH" /usr/lib/dracut/dracut-functions.sh
                if [ ! -e "$kmod/modules.dep" ]; then
                  command -v depmod >/dev/null 2>&1 || fail "$kmod has no modules.dep and there is no depmod beside dracut"
                  mkdir -p /var/tmp/stageforge-kmod/lib/modules
                  cp -a "$kmod" "/var/tmp/stageforge-kmod/lib/modules/$kver"
                  depmod -b /var/tmp/stageforge-kmod "$kver"
                  kmod=/var/tmp/stageforge-kmod/lib/modules/$kver
                fi
                exec dracut --kver "$kver" --kmoddir "$kmod" "$@" "$out"
                """.formatted(BAD_INPUT);
    }

    /** The kernel's modules directory as a path inside the root, through no symlink (a merged /lib is one). */
    static String modulesDir(Path root, String version) {
        for (String d : List.of("lib/modules/" + version, "usr/lib/modules/" + version)) {
            if (isDir(root, d)) return "/" + d;
        }
        throw new StageforgeException(root + ": [kernel] initramfs_builder = \"dracut\": no /lib/modules/" + version
                + " (or /usr/lib/modules/" + version + ") in the root", ExitCodes.BAD_INPUT, null);
    }

    /** An {@code initramfs_files} path must be in the root, through no symlinked directory. */
    private static void checkInRoot(Path root, String abs) {
        Path p = root;
        String[] parts = abs.substring(1).split("/");
        for (int i = 0; i < parts.length; i++) {
            p = p.resolve(parts[i]);
            if (i < parts.length - 1 && Files.isSymbolicLink(p)) throw bad(root, abs, "goes through a symlink");
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) throw bad(root, abs, "not in the root");
    }

    private static boolean isFile(Path root, String rel) {
        return plain(root, rel) && Files.isRegularFile(root.resolve(rel), LinkOption.NOFOLLOW_LINKS);
    }

    private static boolean isDir(Path root, String rel) {
        return plain(root, rel) && Files.isDirectory(root.resolve(rel), LinkOption.NOFOLLOW_LINKS);
    }

    /** No component of {@code rel} below {@code root} is a symlink. */
    private static boolean plain(Path root, String rel) {
        Path p = root;
        for (String s : rel.split("/")) {
            p = p.resolve(s);
            if (Files.isSymbolicLink(p)) return false;
        }
        return true;
    }

    /** The script's own complaint, else the log's last line (where dracut says why it stopped). */
    private static String said(Path log) throws IOException {
        if (!Files.isRegularFile(log)) return null;
        String last = null;
        for (String l : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
            if (l.startsWith("stageforge: ")) return l.substring(12);
            if (!l.isBlank()) last = l.strip();
        }
        return last;
    }

    private static StageforgeException bad(Path root, String path, String why) {
        return new StageforgeException(root + ": initramfs: " + path + ": " + why, ExitCodes.BAD_INPUT, null);
    }
}

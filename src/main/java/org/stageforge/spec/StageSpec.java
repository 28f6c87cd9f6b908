package org.stageforge.spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A stage description as read from {@code spec.toml} (see {@code docs/spec.md}). Paths are absolute, resolved
 * against the spec's directory. {@code sections} holds each top-level key's value in canonical form (sorted JSON)
 * so parts can fingerprint exactly the subtree they depend on.
 */
public record StageSpec(Path file, String name, String version, Repo repo, List<BinhostSpec> binhosts, String profile,
                        Map<String, String> makeConf, List<String> packageUse, List<String> acceptKeywords,
                        List<String> packageMask, List<String> packageUnmask, List<String> packageLicense,
                        List<String> world, List<String> mixins, boolean phases, Map<String, List<String>> installMaskSets,
                        SystemSpec system, Cleanup cleanup, Kernel kernel, Output output,
                        Map<String, List<String>> hooks, Map<String, String> sections, boolean systemSet,
                        List<String> packageProvided, boolean binpkgRespectUse, Seed seed,
                        BuildSettings build, List<Overlay> overlays, Controller controller) {

    public StageSpec {
        binhosts = List.copyOf(binhosts);
        makeConf = Map.copyOf(makeConf);
        packageUse = List.copyOf(packageUse);
        acceptKeywords = List.copyOf(acceptKeywords);
        packageMask = List.copyOf(packageMask);
        packageUnmask = List.copyOf(packageUnmask);
        packageLicense = List.copyOf(packageLicense);
        world = List.copyOf(world);
        mixins = List.copyOf(mixins);
        installMaskSets = Map.copyOf(installMaskSets);
        hooks = Map.copyOf(hooks);
        sections = Map.copyOf(sections);
        packageProvided = List.copyOf(packageProvided);
        overlays = overlays == null ? List.of() : List.copyOf(overlays);
    }

    /** The spec's directory (hooks and relative paths live there). */
    public Path dir() {
        return file.toAbsolutePath().getParent();
    }

    /** {@code name-version}, the artifacts' base name. */
    public String baseName() {
        return name + "-" + version;
    }

    /** The canonical JSON of the given top-level keys, for fingerprints ("" for an absent key). */
    public String section(String... keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) sb.append(k).append('=').append(sections.getOrDefault(k, "")).append('\n');
        return sb.toString();
    }

    /** Where an ebuild repository ([repo] or an [[overlay]]) comes from: exactly one of the three forms. */
    public sealed interface Repo permits DirRepo, GitRepo, SnapshotRepo {
        /** The repository name written to repos.conf (for an overlay, null: its profiles/repo_name). */
        String name();
    }

    /** A repository directory used in place; {@code digest} ({@code tree:HEX}, null: not pinned) must match. */
    public record DirRepo(String name, Path path, String digest) implements Repo {}

    /** A commit of a git repository (URL or directory), exported with host git. */
    public record GitRepo(String name, String url, String commit) implements Repo {}

    /**
     * A snapshot tarball, a file ({@code path}) or an http(s)/file {@code url}, with its expected digest
     * ({@code algorithm} SHA512 or BLAKE2B; both null when a {@code keyring} pins it through the {@code .gpgsig}
     * next to it, checked with the {@code .md5sum} as emerge-webrsync does).
     */
    public record SnapshotRepo(String name, Path path, java.net.URI url, String algorithm, String digest, Path keyring)
            implements Repo {
        /** The tarball as the spec gives it. */
        public String given() {
            return path != null ? path.toString() : url.toString();
        }
    }

    /** An {@code [[overlay]]}: a repository besides the main one, with its repos.conf priority. */
    public record Overlay(Repo source, int priority) {
        /** The name given in the spec, or null (then profiles/repo_name of the fetched tree). */
        public String name() {
            return source.name();
        }
    }

    /**
     * One binhost: URL or directory (absolute), as written in the spec ({@code given}, what locks and manifests
     * show, so they do not depend on where the spec lives), or {@code sources}: a directory of package source
     * trees the fetch part turns into a binhost (then {@code url} is where it is built); optional OpenPGP keyring,
     * and whether every binpkg must be signed.
     */
    public record BinhostSpec(String url, String given, Path sources, Path keyring, boolean requireSignatures) {}

    /**
     * The {@code [seed]} stage tarball packages are built in: {@code path} or {@code url} (the other null; {@code given}
     * as written in the spec, for locks and messages), exactly one of {@code sha512}/{@code blake2b} (lower-case hex),
     * and optionally a clear-signed Gentoo {@code .DIGESTS} file and/or a detached {@code .asc} {@code signature} over
     * the tarball (each a {@code file:} URI for a path, or an http(s) URL), verified with {@code keyring}.
     */
    public record Seed(String given, Path path, java.net.URI url, String sha512, String blake2b,
                       java.net.URI digests, java.net.URI signature, Path keyring) {
        /** The tarball's file name (what a DIGESTS file lists). */
        public String fileName() {
            if (path != null) return path.getFileName().toString();
            String p = url.getPath();
            return p.substring(p.lastIndexOf('/') + 1);
        }

        /** The expected digest as {@code sha512:HEX} or {@code blake2b:HEX}. */
        public String digest() {
            return sha512 != null ? "sha512:" + sha512 : "blake2b:" + blake2b;
        }
    }

    /** What the cleanup part removes besides tmp, logs and caches. */
    public record Cleanup(List<String> paths, boolean minimal, boolean headers) {
        public Cleanup {
            paths = List.copyOf(paths);
        }
    }

    /**
     * An optional kernel: prebuilt files for /boot, or a package atom merged with the stage; {@code generate}
     * (null: none) asks for stageforge's own initramfs; {@code uki}: releases and disks carry unified kernel images.
     */
    public record Kernel(Path image, Path initramfs, String version, String packageAtom, GeneratedInitramfs generate, boolean uki) {
        public Kernel(Path image, Path initramfs, String version, String packageAtom) {
            this(image, initramfs, version, packageAtom, null, false);
        }

        public boolean configured() {
            return image != null || packageAtom != null;
        }
    }

    /**
     * {@code [kernel] initramfs_init/initramfs_files/initramfs_modules}: an initramfs written by stageforge from
     * files of the root ({@code init} becomes {@code /init}) and the named kernel modules with their dependencies;
     * with {@code dracut} (non-null, {@code initramfs_builder = "dracut"}) made by dracut instead ({@code init} null).
     */
    public record GeneratedInitramfs(String init, List<String> files, List<String> modules, InitramfsController controller,
                                     Dracut dracut) {
        public GeneratedInitramfs {
            files = List.copyOf(files);
            modules = List.copyOf(modules);
        }

        public GeneratedInitramfs(String init, List<String> files, List<String> modules, InitramfsController controller) {
            this(init, files, modules, controller, null);
        }

        public GeneratedInitramfs(String init, List<String> files, List<String> modules) {
            this(init, files, modules, null, null);
        }
    }

    /** {@code [kernel] initramfs_builder = "dracut"}: {@code compress} is {@code "zstd"} or {@code "none"}. */
    public record Dracut(String compress) {}

    /**
     * {@code [kernel] initramfs_controller = true}: the update controller is the initramfs's {@code /init};
     * {@code server} (null: no updates), {@code channel}, {@code keyring} (an absolute path in the root) go into its
     * configuration.
     */
    public record InitramfsController(String server, String channel, String keyring) {}

    /**
     * {@code [output.disk]}: the GPT disk image's layout (sizes in MiB); {@code slotB} is "empty" or "filled";
     * {@code tries} the boot counting tries of slot B's entry (0: none); {@code rootFs} the slots' file system:
     * "ext4", "erofs" or "squashfs" (the last two: the release's root image as is).
     */
    public record Disk(int espMib, int rootMib, int stateMib, String espLabel, String rootLabelA, String rootLabelB,
                       String stateLabel, String slotB, int tries, String cmdline, String rootFs) {
        public static final Disk DEFAULT = new Disk(64, 512, 64, "ESP", "SYSFS", "BACKUPFS", "STATE", "empty", 3, "", "ext4");
    }

    /**
     * This spec with the archive formats {@code extra} written too (after the spec's own), as
     * {@code build --format} asks; the output section changes with them, so the pack fingerprint does.
     */
    public StageSpec withExtraFormats(List<String> extra) {
        List<String> f = new java.util.ArrayList<>(output.formats());
        for (String e : extra) if (!f.contains(e)) f.add(e);
        if (f.equals(output.formats())) return this;
        Map<String, String> s = new java.util.HashMap<>(sections);
        s.put("output", sections.getOrDefault("output", "") + "+formats=" + f);
        return new StageSpec(file, name, version, repo, binhosts, profile, makeConf, packageUse, acceptKeywords,
                packageMask, packageUnmask, packageLicense, world, mixins, phases, installMaskSets, system, cleanup, kernel,
                new Output(f, output.oci(), output.ociCompression(), output.signingKey(), output.passphraseFile(),
                        output.repository(), output.image(), output.disk()),
                hooks, s, systemSet, packageProvided, binpkgRespectUse, seed, build, overlays, controller);
    }

    /**
     * Output settings; {@code repository}: the pinned repository goes into the root at its repos.conf location
     * ({@code var/db/repos/NAME}).
     */
    /**
     * {@code [controller]} (null without it): the update server, channel and keyring the installed update machinery
     * uses; {@code mode} {@code controller} (stageforge-controller's boot-side services) or {@code sysupdate}
     * (systemd-sysupdate transfer files; {@code sysupdateTarget} {@code partition} or an absolute directory).
     */
    public record Controller(String server, String channel, Path keyring, String releaseSource, String mode,
                             String sysupdateTarget) {}

    public record Output(List<String> formats, boolean oci, String ociCompression, Path signingKey,
                         Path passphraseFile, boolean repository, Image image, Disk disk) {
        /** The archive formats of {@code [output] formats} (and {@code build --format}), the first the default. */
        public static final List<String> ARCHIVE_FORMATS = List.of("tar.zst", "tar.xz");
        /** The read-only root image formats of {@code [output] formats} ({@code org.stageforge.image.RootImage}). */
        public static final List<String> IMAGE_FORMATS = List.of("squashfs", "erofs");
        /** The disk image formats of {@code [output] formats}: {@code NAME-VERSION.disk.raw} / {@code .disk.qcow2}. */
        public static final List<String> DISK_FORMATS = List.of("disk", "qcow2");

        public Output {
            formats = List.copyOf(formats);
            if (disk == null) disk = Disk.DEFAULT;
        }

        public Output(List<String> formats, boolean oci, String ociCompression, Path signingKey, Path passphraseFile,
                      boolean repository, Image image) {
            this(formats, oci, ociCompression, signingKey, passphraseFile, repository, image, Disk.DEFAULT);
        }

    }

    /**
     * The OCI image config the spec sets: {@code entrypoint} and {@code cmd} (null: not given), extra {@code env}
     * (in order), {@code user} (null: none) and {@code labels}.
     */
    public record Image(List<String> entrypoint, List<String> cmd, Map<String, String> env, String user,
                        Map<String, String> labels) {
        public static final Image NONE = new Image(null, null, Map.of(), null, Map.of());

        public Image {
            entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
            cmd = cmd == null ? null : List.copyOf(cmd);
            env = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(env));
            labels = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
        }
    }

    /**
     * {@code [build]}: how the {@code binpkgs} part builds packages from source in the seed.
     *
     * @param fromSource  {@link FromSource#MISSING} (what no binhost offers with the wanted USE and build key),
     *                    {@link FromSource#ALL}, or {@link FromSource#LIST} (then {@code atoms})
     * @param jobs        emerge {@code --jobs}
     * @param ccache      a ccache directory bound into the sandbox (null: none)
     * @param network     whether distfiles may be fetched over the network (a fetch step before the build; the build
     *                    itself never has network, except to reach distcc hosts)
     * @param distfiles   the shared distfiles cache (null: {@code CACHE/distfiles})
     */
    public record BuildSettings(FromSource fromSource, List<String> atoms, int jobs, boolean keepGoing, Path ccache,
                                List<String> distccHosts, boolean network, Path distfiles) {
        public enum FromSource { MISSING, ALL, LIST }

        public BuildSettings {
            atoms = List.copyOf(atoms);
            distccHosts = List.copyOf(distccHosts);
        }

        /** The settings of a spec without {@code [build]}. */
        public static BuildSettings defaults() {
            return new BuildSettings(FromSource.MISSING, List.of(), Runtime.getRuntime().availableProcessors(), false,
                    null, List.of(), true, null);
        }
    }
}

package org.stageforge.pipeline;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.config.MakeConfWriter;
import org.stageforge.merge.FileTable;
import org.stageforge.merge.InstallMaskSets;
import org.stageforge.merge.RootFiles;
import org.stageforge.spec.Mixins;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stage's own Portage configuration, as a catalyst-made stage3 ships it, so that {@code emerge} inside the stage
 * has the profile, repository, binhosts and package settings the stage was built with:
 * <ul>
 *   <li>{@code etc/portage/make.conf}: the spec's {@code [make_conf]}; INSTALL_MASK and PKG_INSTALL_MASK have their
 *       {@code @set} tokens expanded to paths (Portage has no sets), the value as written is kept in a comment</li>
 *   <li>{@code etc/portage/make.profile -> ../../var/db/repos/NAME/profiles/PROFILE} (relative, as catalyst makes
 *       it; it dangles until the repository is there, unless {@code [output] repository = true})</li>
 *   <li>{@code etc/portage/repos.conf/NAME.conf}: main-repo and location (and git sync settings for a remote git
 *       repository)</li>
 *   <li>{@code etc/portage/repos.conf/OVERLAY.conf} per {@code [[overlay]]}: location {@code /var/db/repos/OVERLAY}
 *       and priority</li>
 *   <li>{@code etc/portage/binrepos.conf/stageforge.conf}: the URL binhosts in priority order; directories and
 *       {@code sources} binhosts are paths of the build host and are left out</li>
 *   <li>{@code etc/portage/package.{use,accept_keywords,mask,unmask,license}/stageforge}</li>
 *   <li>with mix-ins, {@code etc/portage/profile}: Portage stacks that directory last but reads no {@code parent} file
 *       there, so the mix-in nodes' files are concatenated in spec order (sets expanded in make.defaults too)</li>
 * </ul>
 * No file names a path of the build host. Everything written is recorded in the root's file table as root-owned
 * (files 0644, directories 0755), so the archive does not depend on who built it or their umask. With
 * {@code [output] repository = true} the pinned repository (the one the build read) and the overlays are copied to
 * {@code var/db/repos/NAME}, {@code .git} left out, modes normalized.
 */
final class RootPortage {
    private static final String ETC = "etc/portage";
    private static final List<String> MASK_VARS = List.of("INSTALL_MASK", "PKG_INSTALL_MASK");
    private static final Pattern MASK_ASSIGNMENT = Pattern.compile(
            "(?m)^(\\s*(?:export\\s+)?(?:PKG_)?INSTALL_MASK=)([\"'])(.*?)\\2", Pattern.DOTALL);

    private final Path root;
    private final FileTable table;
    private final MessageDigest digest = Build.sha256();

    private RootPortage(Path root) {
        this.root = root;
        this.table = FileTable.load(root);
    }

    /** Writes the configuration (and the repository copy) into {@code root}; returns a digest of what it wrote. */
    static String write(StageSpec spec, Path root, Path repoDir, String repoDigest, List<Overlays.Entry> overlays,
                        Path scratch, Reporter rep) throws IOException {
        RootPortage w = new RootPortage(root);
        InstallMaskSets sets = InstallMaskSets.defaults().withAll(spec.installMaskSets());
        String name = spec.repo().name();
        w.file(ETC + "/make.conf", makeConf(spec, sets), rep);
        w.link(ETC + "/make.profile", "../../var/db/repos/" + name + "/profiles/" + spec.profile(), rep);
        w.file(ETC + "/repos.conf/" + name + ".conf", reposConf(spec, repoDigest), rep);
        for (Overlays.Entry o : overlays) {
            w.file(ETC + "/repos.conf/" + o.name() + ".conf", "# Written by stageforge: an overlay this stage was built with ("
                    + o.digest() + ")\n" + o.section(true).format(), rep);
        }
        String binrepos = binreposConf(spec, rep);
        if (binrepos != null) w.file(ETC + "/binrepos.conf/stageforge.conf", binrepos, rep);
        w.lines("package.use", spec.packageUse(), rep);
        w.lines("package.accept_keywords", spec.acceptKeywords(), rep);
        w.lines("package.mask", spec.packageMask(), rep);
        w.lines("package.unmask", spec.packageUnmask(), rep);
        w.lines("package.license", spec.packageLicense(), rep);
        if (!spec.mixins().isEmpty()) w.mixins(spec, sets, scratch, rep);
        w.digest.update(repoDigest.getBytes(StandardCharsets.UTF_8));
        if (spec.output().repository()) {
            copyRepository(repoDir, w.dir("var/db/repos"), name);
            rep.action("repository", repoDir + " -> /var/db/repos/" + name + " (" + repoDigest + ")");
            for (Overlays.Entry o : overlays) {
                copyRepository(Path.of(o.dir()), w.dir("var/db/repos"), o.name());
                rep.action("repository", o.dir() + " -> /var/db/repos/" + o.name() + " (" + o.digest() + ")");
            }
            w.digest.update((byte) 1);
        }
        for (Overlays.Entry o : overlays) w.digest.update((o.name() + " " + o.digest() + "\n").getBytes(StandardCharsets.UTF_8));
        w.table.save(root);
        return HexFormat.of().formatHex(w.digest.digest());
    }

    static String makeConf(StageSpec spec, InstallMaskSets sets) {
        StringBuilder mc = new StringBuilder("# Written by stageforge: the [make_conf] of " + spec.file().getFileName()
                + ", which built this stage.\n");
        for (Map.Entry<String, String> e : new TreeMap<>(spec.makeConf()).entrySet()) {
            String value = e.getValue();
            if (MASK_VARS.contains(e.getKey()) && InstallMaskSets.refersToSets(value)) {
                mc.append("# ").append(e.getKey()).append("=\"").append(value.trim())
                        .append("\" with stageforge's install-mask sets expanded (Portage has no sets)\n");
                value = sets.expand(value);
            }
            mc.append(MakeConfWriter.assignment(e.getKey(), value));
        }
        return mc.toString();
    }

    static String reposConf(StageSpec spec, String repoDigest) {
        String name = spec.repo().name();
        StringBuilder sb = new StringBuilder("# Written by stageforge: the repository this stage was built from ("
                + repoDigest + ")\n[DEFAULT]\nmain-repo = " + name + "\n\n[" + name + "]\nlocation = /var/db/repos/"
                + name + "\n");
        if (spec.repo() instanceof StageSpec.GitRepo g && remote(g.url())) {
            sb.append("sync-type = git\nsync-uri = ").append(g.url()).append('\n');
        }
        return sb.toString();
    }

    /** A URL a stage can reach: any scheme but {@code file}, or scp-like {@code user@host:path}. */
    private static boolean remote(String url) {
        int colon = url.indexOf("://");
        if (colon > 0) return !url.substring(0, colon).equalsIgnoreCase("file");
        return url.contains("@") && url.contains(":");
    }

    /** The URL binhosts as Portage's binrepos.conf sections (first spec binhost = highest priority), or null. */
    static String binreposConf(StageSpec spec, Reporter rep) {
        StringBuilder sb = new StringBuilder("# Written by stageforge: the binhosts this stage was built from\n");
        int n = spec.binhosts().size();
        boolean any = false;
        for (int i = 0; i < n; i++) {
            StageSpec.BinhostSpec b = spec.binhosts().get(i);
            if (b.sources() != null || !remote(b.url())) {
                rep.log("binrepos.conf: binhost " + (i + 1) + " (" + b.given() + ") left out: a path of the build host");
                continue;
            }
            sb.append("\n[binhost-").append(i + 1).append("]\npriority = ").append(n - i).append("\nsync-uri = ")
                    .append(b.url()).append('\n');
            if (b.requireSignatures()) sb.append("verify-signature = true\n");
            any = true;
        }
        return any ? sb.toString() : null;
    }

    private void lines(String dir, List<String> lines, Reporter rep) throws IOException {
        if (!lines.isEmpty()) file(ETC + "/" + dir + "/stageforge", String.join("\n", lines) + "\n", rep);
    }

    /** The mix-in nodes concatenated into etc/portage/profile, file by file, in spec order. */
    private void mixins(StageSpec spec, InstallMaskSets sets, Path scratch, Reporter rep) throws IOException {
        org.stageforge.util.Dirs.deleteTree(scratch);
        Map<String, StringBuilder> files = new TreeMap<>();
        int eapi = -1;
        for (String m : spec.mixins()) {
            Path node = Mixins.materialize(m, spec.dir(), scratch);
            List<Path> parts;
            try (var s = Files.list(node)) {
                parts = s.sorted().toList();
            }
            for (Path f : parts) {
                String fn = f.getFileName().toString();
                String text = Files.readString(f, StandardCharsets.UTF_8);
                if (fn.equals("eapi")) {
                    eapi = Math.max(eapi, parseEapi(m, text));
                    continue;
                }
                if (fn.equals("parent")) {
                    rep.warning("mix-in '" + m + "': its parent file is left out of the stage's etc/portage/profile"
                            + " (Portage reads no parent file there)");
                    continue;
                }
                if (fn.equals("make.defaults")) text = expandMasks(text, sets);
                StringBuilder sb = files.computeIfAbsent(fn, k -> new StringBuilder());
                sb.append("# mix-in ").append(m).append('\n').append(text);
                if (!text.isEmpty() && !text.endsWith("\n")) sb.append('\n');
            }
        }
        org.stageforge.util.Dirs.deleteTree(scratch);
        if (eapi >= 0) files.put("eapi", new StringBuilder(eapi + "\n"));
        for (Map.Entry<String, StringBuilder> e : files.entrySet()) {
            file(ETC + "/profile/" + e.getKey(), e.getValue().toString(), rep);
        }
    }

    private static int parseEapi(String mixin, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new StageforgeException("mix-in '" + mixin + "': eapi '" + text.strip() + "' is not a number",
                    ExitCodes.BAD_INPUT, null);
        }
    }

    /** {@code @set} tokens expanded inside the INSTALL_MASK and PKG_INSTALL_MASK assignments of a make.defaults. */
    static String expandMasks(String text, InstallMaskSets sets) {
        Matcher m = MASK_ASSIGNMENT.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = m.group(3);
            String expanded = InstallMaskSets.refersToSets(value) ? keepReferences(value, sets) : value;
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + m.group(2) + expanded + m.group(2)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Expands set tokens one by one so {@code ${INSTALL_MASK}} and other tokens stay as written. */
    private static String keepReferences(String value, InstallMaskSets sets) {
        List<String> out = new ArrayList<>();
        for (String tok : value.trim().split("\\s+")) out.add(InstallMaskSets.refersToSets(tok) ? sets.expand(tok) : tok);
        return String.join(" ", out);
    }

    // ---- writing inside the root ----------------------------------------------------------------------------

    private Path dir(String rel) throws IOException {
        Path d = root;
        StringBuilder sofar = new StringBuilder();
        for (String c : rel.split("/")) {
            sofar.append(sofar.length() == 0 ? "" : "/").append(c);
            d = FileOps.dirInRoot(root, sofar.toString());
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                throw new StageforgeException("cannot write the stage's Portage configuration: /" + sofar
                        + " in the root is not a directory", ExitCodes.BAD_INPUT, null);
            }
            if (table.get(sofar.toString()) == null) table.put(sofar.toString(), entry('d', 0755));
        }
        return d;
    }

    private void file(String rel, String text, Reporter rep) throws IOException {
        int slash = rel.lastIndexOf('/');
        Path target = dir(rel.substring(0, slash)).resolve(rel.substring(slash + 1));
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new StageforgeException("cannot write /" + rel + ": the root has a directory there", ExitCodes.BAD_INPUT, null);
        }
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        if (Files.isSymbolicLink(target)) Files.delete(target);
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        // never through whatever a package left under that name (a symlink out of the root)
        Files.deleteIfExists(tmp);
        Files.write(tmp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(tmp, org.stageforge.util.Modes.permissions(0644));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        table.put(rel, entry('f', 0644));
        record(rel, data);
        rep.action("write", "/" + rel);
    }

    private void link(String rel, String target, Reporter rep) throws IOException {
        int slash = rel.lastIndexOf('/');
        Path p = dir(rel.substring(0, slash)).resolve(rel.substring(slash + 1));
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new StageforgeException("cannot make /" + rel + " a symlink: the root has a directory there",
                    ExitCodes.BAD_INPUT, null);
        }
        Files.deleteIfExists(p);
        Files.createSymbolicLink(p, Path.of(target));
        table.put(rel, entry('l', 0777));
        record(rel, ("->" + target).getBytes(StandardCharsets.UTF_8));
        rep.action("symlink", "/" + rel + " -> " + target);
    }

    private void record(String rel, byte[] data) {
        digest.update(rel.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(data);
        digest.update((byte) 0);
    }

    private static FileTable.Entry entry(char type, int mode) {
        return new FileTable.Entry(type, mode, 0, 0, 0, 0, null);
    }

    /**
     * Copies the repository to {@code repos/name}: directories 0755, files 0755 when executable else 0644, symlinks
     * as they are (never followed), {@code .git} and anything but files, directories and symlinks left out.
     */
    static void copyRepository(Path from, Path repos, String name) throws IOException {
        Path to = repos.resolve(name);
        org.stageforge.util.Dirs.deleteTree(to);
        Path src = from.toRealPath();
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                if (!d.equals(src) && d.getFileName().toString().equals(".git")) return FileVisitResult.SKIP_SUBTREE;
                Path t = to.resolve(src.relativize(d).toString());
                Files.createDirectory(t);
                Files.setPosixFilePermissions(t, org.stageforge.util.Modes.permissions(0755));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                if (f.getFileName().toString().equals(".git")) return FileVisitResult.CONTINUE;
                Path t = to.resolve(src.relativize(f).toString());
                if (a.isSymbolicLink()) {
                    Files.createSymbolicLink(t, Files.readSymbolicLink(f));
                } else if (a.isRegularFile()) {
                    Files.copy(f, t);
                    Files.setPosixFilePermissions(t, org.stageforge.util.Modes.permissions((RootFiles.mode(f) & 0100) != 0 ? 0755 : 0644));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                throw e;
            }
        });
    }
}

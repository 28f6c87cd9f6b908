package org.stageforge.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Atom;
import org.stageforge.merge.InstallMaskSets;
import org.stageforge.util.Suggest;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads {@code spec.toml} strictly: every key is known, every value has the documented type and form, and every
 * error is one line {@code spec.toml:LINE:COL: reason}.
 */
public final class SpecParser {
    /** Part names hooks may be attached to (kept in step with the pipeline's parts). */
    public static final List<String> PARTS = List.of("fetch", "resolve", "binpkgs", "install", "configure", "kernel", "depclean",
            "cleanup", "pack", "checksum", "sign", "publish");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{128}");
    private static final Pattern TREE = Pattern.compile("tree:[0-9a-f]{64}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{7,64}");
    private static final Pattern VAR = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]*\\$?");
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private final String source;
    private final Path dir;

    private SpecParser(Path file) {
        this.source = file.getFileName().toString();
        this.dir = file.toAbsolutePath().getParent();
    }

    /** Parses and validates a spec file. */
    public static StageSpec parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + file + ": " + org.stageforge.util.IoErrors.reason(file, e), ExitCodes.NOT_FOUND, e);
        }
        return new SpecParser(file).parse(file, text);
    }

    private StageSpec parse(Path file, String text) {
        TomlParseResult r = Toml.parse(text);
        if (r.hasErrors()) {
            TomlParseError e = r.errors().get(0);
            throw new ParseException(source, e.position().line(), e.position().column(), e.getMessage().replaceFirst(" \\(line \\d+, column \\d+\\)$", ""));
        }
        T top = new T(r, "", null);
        T stage = top.table("stage", true);
        String name = stage.name("name");
        String version = stage.name("version");
        stage.done();

        StageSpec.Repo repo = repo(top.table("repo", true));
        List<StageSpec.Overlay> overlays = overlays(top.tables("overlay"), repo.name());
        List<StageSpec.BinhostSpec> binhosts = new ArrayList<>();
        for (T b : top.tables("binhost")) {
            if (!b.has("url") && !b.has("sources")) b.typoOf("url", "sources");
            if (b.has("url") == b.has("sources")) {
                throw new ParseException(source, b.line(), b.col(), "[[binhost]] needs exactly one of url, sources");
            }
            String url = b.str("url", false);
            Path sources = b.path("sources", false);
            Path keyring = b.path("keyring", false);
            boolean req = b.bool("require_signatures", false);
            if (req && keyring == null) throw b.err("require_signatures", "require_signatures needs a keyring");
            b.done();
            if (sources != null) {
                binhosts.add(new StageSpec.BinhostSpec(null, "sources:" + b.table.getString("sources"), sources, keyring, req));
            } else {
                binhosts.add(new StageSpec.BinhostSpec(url.contains("://") ? url : dir.resolve(url).normalize().toString(),
                        url, null, keyring, req));
            }
        }
        StageSpec.Seed seed = seed(top.table("seed", false));
        if (binhosts.isEmpty() && seed == null) {
            throw new ParseException(source, 1, 1, "at least one [[binhost]] is required (or a [seed] to build from source)");
        }
        String profile = top.str("profile", true);
        if (profile.startsWith("/") || profile.contains("..")) throw top.err("profile", "profile must be a path under the repository's profiles/");
        Map<String, String> makeConf = new TreeMap<>();
        T mc = top.table("make_conf", false);
        if (mc != null) {
            for (String k : mc.keys()) {
                if (!VAR.matcher(k).matches()) throw mc.err(k, "'" + k + "' is not a variable name");
                makeConf.put(k, mc.str(k, true));
            }
            mc.done();
        }
        List<String> packageUse = top.atomLines("package_use", true);
        List<String> acceptKeywords = top.atomLines("accept_keywords", false);
        List<String> packageMask = top.atomLines("package_mask", false);
        List<String> packageUnmask = top.atomLines("package_unmask", false);
        List<String> packageLicense = top.atomLines("package_license", true);
        List<String> world = top.atoms("world");
        boolean phases = top.bool("phases", true);
        List<String> mixins = top.strList("mixins");
        for (int i = 0; i < mixins.size(); i++) {
            String m = mixins.get(i);
            if (!Mixins.exists(m, dir)) {
                throw top.errAt("mixins", i, "unknown mix-in '" + m + "' (shipped: " + String.join(", ", Mixins.SHIPPED) + ", or a directory)");
            }
        }
        Map<String, List<String>> sets = new TreeMap<>();
        T ims = top.table("install_mask_sets", false);
        if (ims != null) {
            for (String k : ims.keys()) {
                if (!NAME.matcher(k).matches()) throw ims.err(k, "bad set name '" + k + "'");
                sets.put(k, ims.strList(k));
            }
            ims.done();
        }
        if (mc != null && makeConf.containsKey("INSTALL_MASK")) installMaskSets(mc, makeConf.get("INSTALL_MASK"), sets.keySet());
        boolean respectUse = top.bool("binpkg_respect_use", false);
        // system = false: world and its runtime closure only (an application image); a [system] table keeps @system
        boolean systemSet = !(r.get("system") instanceof Boolean) || top.bool("system", true);
        List<String> packageProvided = top.strList("package_provided");
        for (int i = 0; i < packageProvided.size(); i++) {
            try {
                org.stageforge.atom.Cpv.parse(packageProvided.get(i));
            } catch (ParseException e) {
                throw top.errAt("package_provided", i, "package_provided: '" + packageProvided.get(i)
                        + "' is not a category/name-version (no operator, as in Portage's package.provided)");
            }
        }
        SystemSpec system = system(r.get("system") instanceof Boolean ? null : top.table("system", false));
        StageSpec.Cleanup cleanup = cleanup(top.table("cleanup", false));
        StageSpec.Kernel kernel = kernel(top.table("kernel", false));
        StageSpec.Output output = output(top.table("output", false));
        StageSpec.BuildSettings build = build(top.table("build", false));
        StageSpec.Controller controller = controller(top.table("controller", false), output);
        Map<String, List<String>> hooks = new TreeMap<>();
        T h = top.table("hooks", false);
        if (h != null) {
            for (String k : h.keys()) {
                String part = k.startsWith("before-") ? k.substring(7) : k.startsWith("after-") ? k.substring(6) : "";
                if (!PARTS.contains(part)) {
                    List<String> all = new ArrayList<>();
                    for (String w : List.of("after-", "before-")) for (String q : PARTS) all.add(w + q);
                    String dym = Suggest.didYouMean(k, all);
                    throw h.err(k, "unknown key '" + k + "' in [hooks] " + (dym.isEmpty() ? "(before-PART or after-PART)" : dym.strip()));
                }
                hooks.put(k, h.strList(k));
            }
            h.done();
        }
        top.done();
        Map<String, String> sections = new TreeMap<>();
        for (String k : r.keySet()) sections.put(k, canonical(r.get(k)));
        return new StageSpec(file.toAbsolutePath(), name, version, repo, binhosts, profile, makeConf, packageUse,
                acceptKeywords, packageMask, packageUnmask, packageLicense, world, mixins, phases, sets, system, cleanup,
                kernel, output, hooks, sections, systemSet, packageProvided, respectUse, seed, build, overlays, controller);
    }

    /** Every {@code @set} of the spec's INSTALL_MASK must be shipped or defined in [install_mask_sets]. */
    private void installMaskSets(T mc, String value, Set<String> specSets) {
        Set<String> names = new java.util.TreeSet<>(specSets);
        InstallMaskSets.defaults().names().forEach(names::add);
        for (String tok : value.trim().split("\\s+")) {
            String name = tok.startsWith("-@") ? tok.substring(2) : tok.startsWith("@") ? tok.substring(1) : null;
            if (name != null && !names.contains(name)) {
                throw mc.err("INSTALL_MASK", "unknown install-mask set '" + tok + "' (shipped or in [install_mask_sets])"
                        + Suggest.didYouMean("@" + name, names.stream().map(n -> "@" + n).toList()));
            }
        }
    }

    private StageSpec.Repo repo(T t) {
        StageSpec.Repo repo = source(t, t.has("name") ? t.name("name") : "gentoo", "[repo]");
        t.done();
        return repo;
    }

    /** The [[overlay]] tables: the source keys of [repo], an optional name and a priority; names are unique. */
    private List<StageSpec.Overlay> overlays(List<T> tables, String mainName) {
        List<StageSpec.Overlay> out = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of(mainName));
        for (T t : tables) {
            String name = t.has("name") ? t.name("name") : null;
            if (name != null && !names.add(name)) throw t.err("name", "[[overlay]] name '" + name + "' is used twice (the main repository is '" + mainName + "')");
            int priority = t.integer("priority", 0, -1_000_000, 1_000_000);
            StageSpec.Repo src = source(t, name, "[[overlay]]");
            t.done();
            out.add(new StageSpec.Overlay(src, priority));
        }
        return out;
    }

    /** Exactly one of path (with an optional digest), git + commit, snapshot + sha512/blake2b/keyring. */
    private StageSpec.Repo source(T t, String name, String what) {
        int forms = (t.has("path") ? 1 : 0) + (t.has("git") ? 1 : 0) + (t.has("snapshot") ? 1 : 0);
        if (forms == 0) t.typoOf("path", "git", "snapshot");
        if (forms != 1) throw new ParseException(source, t.line(), t.col(), what + " needs exactly one of path, git, snapshot");
        for (String k : List.of("digest", "commit", "sha512", "blake2b", "keyring")) t.has(k);
        if (t.has("path")) {
            String digest = t.str("digest", false);
            if (digest != null && !TREE.matcher(digest).matches()) {
                throw t.err("digest", "digest must be 'tree:' and 64 hex digits (as 'stageforge lock' records it), not '" + digest + "'");
            }
            return new StageSpec.DirRepo(name, t.path("path", true), digest);
        }
        if (t.has("git")) {
            String url = t.str("git", true);
            String commit = t.str("commit", true);
            if (!COMMIT.matcher(commit).matches()) throw t.err("commit", "commit must be a hex commit id, not '" + commit + "'");
            return new StageSpec.GitRepo(name, url.contains("://") || url.contains("@") ? url : dir.resolve(url).normalize().toString(), commit);
        }
        String given = t.str("snapshot", true);
        Path p = null;
        java.net.URI url = null;
        if (given.contains("://")) {
            try {
                url = new java.net.URI(given);
            } catch (java.net.URISyntaxException e) {
                throw t.err("snapshot", "snapshot '" + given + "' is not a URL: " + e.getReason());
            }
            if (!List.of("http", "https", "file").contains(String.valueOf(url.getScheme()).toLowerCase(java.util.Locale.ROOT))) {
                throw t.err("snapshot", "snapshot URL must be http, https or file: '" + given + "'");
            }
        } else {
            p = dir.resolve(given).normalize();
        }
        Path keyring = t.path("keyring", false);
        if (t.has("sha512") && t.has("blake2b")) throw t.err("snapshot", "a snapshot takes one of sha512, blake2b, not both");
        if (!t.has("sha512") && !t.has("blake2b") && keyring == null) {
            throw t.err("snapshot", "a snapshot needs sha512, blake2b or a keyring (its .gpgsig then pins it)");
        }
        String alg = t.has("sha512") ? "SHA512" : t.has("blake2b") ? "BLAKE2B" : null;
        String digest = null;
        if (alg != null) {
            String key = alg.toLowerCase();
            digest = t.str(key, true).toLowerCase();
            if (!HEX.matcher(digest).matches()) throw t.err(key, key + " must be 128 hex digits");
        }
        return new StageSpec.SnapshotRepo(name, p, url, alg, digest, keyring);
    }

    private StageSpec.Seed seed(T t) {
        if (t == null) return null;
        if (!t.has("path") && !t.has("url")) t.typoOf("path", "url");
        if (t.has("path") == t.has("url")) throw new ParseException(source, t.line(), t.col(), "[seed] needs exactly one of path, url");
        if (!t.has("sha512") && !t.has("blake2b")) t.typoOf("sha512", "blake2b");
        if (t.has("sha512") == t.has("blake2b")) throw new ParseException(source, t.line(), t.col(), "[seed] needs exactly one of sha512, blake2b");
        String given = t.has("path") ? t.str("path", true) : t.str("url", true);
        Path path = null;
        java.net.URI url = null;
        if (t.has("path")) {
            path = dir.resolve(given).normalize();
            if (path.getFileName() == null) throw t.err("path", "[seed] path must name a tarball");
        } else {
            url = location(t, "url", given);
            if (!url.getPath().matches(".*/[^/]+")) throw t.err("url", "[seed] url must end with the tarball's file name");
        }
        String key = t.has("sha512") ? "sha512" : "blake2b";
        String digest = t.str(key, true).toLowerCase(java.util.Locale.ROOT);
        if (!HEX.matcher(digest).matches()) throw t.err(key, key + " must be 128 hex digits");
        java.net.URI digests = t.has("digests") ? location(t, "digests", t.str("digests", true)) : null;
        java.net.URI signature = t.has("signature") ? location(t, "signature", t.str("signature", true)) : null;
        Path keyring = t.path("keyring", false);
        if (keyring == null && (digests != null || signature != null)) {
            throw t.err(digests != null ? "digests" : "signature", "[seed] " + (digests != null ? "digests" : "signature") + " needs a keyring");
        }
        if (keyring != null && digests == null && signature == null) {
            t.typoOf("digests", "signature");
            throw t.err("keyring", "[seed] keyring needs digests or signature");
        }
        t.done();
        return new StageSpec.Seed(given, path, url, key.equals("sha512") ? digest : null, key.equals("blake2b") ? digest : null,
                digests, signature, keyring);
    }

    /** An http(s) or file URL, or a path relative to the spec (as a file: URI). */
    private java.net.URI location(T t, String key, String s) {
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        if (!lower.matches("[a-z][a-z0-9+.-]*:.*")) return dir.resolve(s).normalize().toUri();
        try {
            java.net.URI u = new java.net.URI(s);
            boolean http = lower.startsWith("http://") || lower.startsWith("https://");
            if (http && u.getHost() == null || !http && !lower.startsWith("file:") || u.getRawQuery() != null || u.getRawFragment() != null) {
                throw t.err(key, key + " must be an http(s) or file URL without query, or a path: '" + s + "'");
            }
            return http ? u : Path.of(u).toUri();
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw t.err(key, key + " is not a valid URL: '" + s + "'");
        }
    }

    private SystemSpec system(T t) {
        if (t == null) return SystemSpec.EMPTY;
        String init = t.str("init", false);
        if (init != null && !init.equals("openrc") && !init.equals("systemd")) throw t.err("init", "init must be openrc or systemd");
        String lang = t.str("lang", false);
        String collate = t.str("lc_collate", false);
        String hostname = t.str("hostname", false);
        if (hostname != null && !hostname.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) throw t.err("hostname", "bad hostname '" + hostname + "'");
        List<String> locales = t.strList("locales");
        for (int i = 0; i < locales.size(); i++) {
            if (!locales.get(i).matches("[A-Za-z0-9_.@-]+( [A-Za-z0-9_-]+)?")) {
                throw t.errAt("locales", i, "locale must be 'NAME CHARMAP' as in locale.gen, not '" + locales.get(i) + "'");
            }
        }
        String tz = t.str("timezone", false);
        if (tz != null && (tz.startsWith("/") || tz.contains("..") || !tz.matches("[A-Za-z0-9_+/-]+"))) throw t.err("timezone", "bad timezone '" + tz + "'");
        String keymap = t.str("keymap", false);
        if (keymap != null && !keymap.matches("[A-Za-z0-9_.-]+")) throw t.err("keymap", "bad keymap '" + keymap + "'");
        List<SystemSpec.Fstab> fstab = new ArrayList<>();
        for (T f : t.tables("fstab")) {
            fstab.add(new SystemSpec.Fstab(f.word("device", true), f.word("mountpoint", true), f.word("type", true),
                    f.has("options") ? f.word("options", true) : "defaults", f.integer("dump", 0, 0, 1),
                    f.integer("pass", 0, 0, 2)));
            f.done();
        }
        List<SystemSpec.Group> groups = new ArrayList<>();
        for (T g : t.tables("groups")) {
            groups.add(new SystemSpec.Group(g.account("name"), g.has("gid") ? g.integer("gid", 0, 0, 65533) : null));
            g.done();
        }
        List<SystemSpec.User> users = new ArrayList<>();
        for (T u : t.tables("users")) {
            String name = u.account("name");
            Integer uid = u.has("uid") ? u.integer("uid", 0, 1, 65533) : null;
            String group = u.has("group") ? u.account("group") : null;
            List<String> supp = u.strList("groups");
            for (int i = 0; i < supp.size(); i++) if (!USER.matcher(supp.get(i)).matches()) throw u.errAt("groups", i, "bad group name '" + supp.get(i) + "'");
            String home = u.str("home", false);
            if (home != null && !home.startsWith("/")) throw u.err("home", "home must be absolute");
            String shell = u.str("shell", false);
            String comment = u.str("comment", false);
            if (comment != null && (comment.contains(":") || comment.contains("\n"))) throw u.err("comment", "comment may not contain ':' or newlines");
            String pw = u.str("password", false);
            if (pw != null && (pw.contains(":") || pw.contains("\n"))) throw u.err("password", "password must be a crypt(3) hash without ':'");
            List<String> keys = u.strList("authorized_keys");
            u.done();
            users.add(new SystemSpec.User(name, uid, group, supp, home, shell, comment, pw, keys));
        }
        String rootPw = t.str("root_password", false);
        if (rootPw != null && (rootPw.contains(":") || rootPw.contains("\n"))) throw t.err("root_password", "root_password must be a crypt(3) hash without ':'");
        boolean locked = t.bool("root_locked", false);
        if (locked && rootPw != null) throw t.err("root_locked", "root_locked and root_password exclude each other");
        List<String> openrc = List.of();
        List<String> systemd = List.of();
        T s = t.table("services", false);
        if (s != null) {
            openrc = s.strList("openrc");
            for (int i = 0; i < openrc.size(); i++) {
                if (!openrc.get(i).matches("[A-Za-z0-9_.@-]+(:[a-z0-9_-]+)?")) throw s.errAt("openrc", i, "OpenRC service must be 'name' or 'name:runlevel'");
            }
            systemd = s.strList("systemd");
            for (int i = 0; i < systemd.size(); i++) {
                if (!systemd.get(i).matches("[A-Za-z0-9_.@:\\\\-]+\\.(service|socket|timer|target|path|mount)")) throw s.errAt("systemd", i, "bad systemd unit '" + systemd.get(i) + "'");
            }
            if (!openrc.isEmpty() && !systemd.isEmpty()) throw s.err("systemd", "services.openrc and services.systemd exclude each other");
            if ("systemd".equals(init) && !openrc.isEmpty()) throw s.err("openrc", "init is systemd: use services.systemd");
            if ("openrc".equals(init) && !systemd.isEmpty()) throw s.err("systemd", "init is openrc: use services.openrc");
            s.done();
        }
        t.done();
        return new SystemSpec(init, hostname, locales, lang, collate, tz, keymap, fstab, users, groups, rootPw, locked, openrc, systemd);
    }

    private StageSpec.Cleanup cleanup(T t) {
        if (t == null) return new StageSpec.Cleanup(List.of(), false, false);
        List<String> paths = t.strList("paths");
        for (int i = 0; i < paths.size(); i++) {
            String p = paths.get(i);
            if (!p.startsWith("/") || p.contains("/../") || p.endsWith("/..") || p.equals("/")) throw t.errAt("paths", i, "cleanup path must be absolute inside the root and not '/': '" + p + "'");
        }
        StageSpec.Cleanup c = new StageSpec.Cleanup(paths, t.bool("minimal", false), t.bool("headers", false));
        t.done();
        return c;
    }

    /** An absolute path below the root: no "..", not "/" itself. */
    private static boolean rootPath(String p) {
        return p.startsWith("/") && !p.equals("/") && !(p + "/").contains("/../") && !p.contains("//");
    }

    private StageSpec.Kernel kernel(T t) {
        if (t == null) return new StageSpec.Kernel(null, null, null, null);
        Path image = t.path("image", false);
        Path initramfs = t.path("initramfs", false);
        String version = t.has("version") ? t.name("version") : null;
        String pkg = t.str("package", false);
        if (pkg != null) atom(t, "package", pkg, -1);
        if (image == null && pkg == null) throw new ParseException(source, t.line(), t.col(), "[kernel] needs image or package");
        if (image != null && pkg != null) throw t.err("package", "[kernel] takes image or package, not both");
        if (image != null && version == null) throw t.err("image", "[kernel] image needs a version (files are named vmlinuz-VERSION)");
        if (initramfs != null && image == null) throw t.err("initramfs", "initramfs needs image");
        StageSpec.GeneratedInitramfs gen = null;
        StageSpec.InitramfsController ctl = controller(t);
        StageSpec.Dracut dracut = dracut(t);
        if (t.has("initramfs_init") || ctl != null || dracut != null) {
            String key = ctl != null ? "initramfs_controller" : dracut != null ? "initramfs_builder" : "initramfs_init";
            if (initramfs != null) throw t.err(key, "[kernel] takes initramfs or " + key + ", not both");
            if (ctl != null && t.has("initramfs_init")) throw t.err("initramfs_init", "[kernel] takes initramfs_init or initramfs_controller, not both");
            if (dracut != null && t.has("initramfs_init")) throw t.err("initramfs_init", "initramfs_init is for initramfs_builder = \"stageforge\" (dracut brings its own init)");
            String init = ctl != null || dracut != null ? null : t.str("initramfs_init", true);
            List<String> files = t.strList("initramfs_files");
            if (init != null && !rootPath(init)) throw t.err("initramfs_init", "'" + init + "' is not an absolute path in the root");
            for (int i = 0; i < files.size(); i++) {
                if (!rootPath(files.get(i))) throw t.errAt("initramfs_files", i, "'" + files.get(i) + "' is not an absolute path in the root");
            }
            List<String> modules = t.strList("initramfs_modules");
            for (String m : modules) if (!m.matches("[A-Za-z0-9_-]+")) throw t.err("initramfs_modules", "'" + m + "' is not a module name");
            gen = new StageSpec.GeneratedInitramfs(init, files, modules, ctl, dracut);
        } else if (t.has("initramfs_files") || t.has("initramfs_modules")) {
            throw t.err(t.has("initramfs_files") ? "initramfs_files" : "initramfs_modules", "initramfs_files and initramfs_modules need initramfs_init, initramfs_controller or initramfs_builder = \"dracut\"");
        }
        boolean uki = t.bool("uki", false);
        t.done();
        return new StageSpec.Kernel(image, initramfs, version, pkg, gen, uki);
    }

    /** {@code [kernel] initramfs_builder} ({@code "stageforge"}, the default, or {@code "dracut"}) and {@code initramfs_compress}. */
    private StageSpec.Dracut dracut(T t) {
        String builder = t.has("initramfs_builder") ? t.str("initramfs_builder", true) : "stageforge";
        if (!builder.equals("stageforge") && !builder.equals("dracut")) {
            throw t.err("initramfs_builder", "initramfs_builder must be \"stageforge\" or \"dracut\", not '" + builder + "'");
        }
        if (!builder.equals("dracut")) {
            if (t.has("initramfs_compress")) throw t.err("initramfs_compress", "initramfs_compress needs initramfs_builder = \"dracut\"");
            return null;
        }
        String compress = t.has("initramfs_compress") ? t.str("initramfs_compress", true) : "zstd";
        if (!compress.equals("zstd") && !compress.equals("none")) {
            throw t.err("initramfs_compress", "initramfs_compress must be \"zstd\" or \"none\", not '" + compress + "'");
        }
        return new StageSpec.Dracut(compress);
    }

    /** {@code [kernel] initramfs_controller} and its {@code controller_*} keys; null when it is off. */
    private StageSpec.InitramfsController controller(T t) {
        boolean on = t.bool("initramfs_controller", false);
        for (String k : List.of("controller_server", "controller_channel", "controller_keyring")) {
            if (!on && t.has(k)) throw t.err(k, k + " needs initramfs_controller = true");
        }
        if (!on) return null;
        String server = t.str("controller_server", false);
        String channel = t.str("controller_channel", false);
        String keyring = t.str("controller_keyring", false);
        if (server != null && !server.matches("https?://[^\\s\"'`$\\\\]+")) throw t.err("controller_server", "controller_server must be an http(s) URL");
        if (server != null && channel == null) throw t.err("controller_server", "controller_server needs controller_channel");
        if (server != null && keyring == null) throw t.err("controller_server", "controller_server needs controller_keyring");
        if (channel != null && !channel.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) throw t.err("controller_channel", "'" + channel + "' is not a channel name");
        if (keyring != null && !rootPath(keyring)) throw t.err("controller_keyring", "'" + keyring + "' is not an absolute path in the root");
        return new StageSpec.InitramfsController(server, channel, keyring);
    }

    private StageSpec.Controller controller(T t, StageSpec.Output output) {
        if (t == null) return null;
        String server = t.str("server", true);
        if (!server.matches("https?://[^\\s\"'\\\\]+")) throw t.err("server", "[controller] server must be an http(s) URL, not '" + server + "'");
        String channel = t.name("channel");
        Path keyring = t.path("keyring", true);
        if (!Files.isRegularFile(keyring)) throw t.err("keyring", "[controller] keyring " + keyring + " is not a file");
        String source = t.has("release_source") ? t.str("release_source", true) : "channel";
        if (!source.equals("channel") && !source.equals("fleet")) throw t.err("release_source", "release_source must be \"channel\" or \"fleet\", not '" + source + "'");
        String mode = t.has("mode") ? t.str("mode", true) : "controller";
        if (!mode.equals("controller") && !mode.equals("sysupdate")) throw t.err("mode", "mode must be \"controller\" or \"sysupdate\", not '" + mode + "'");
        String target = t.has("sysupdate_target") ? t.str("sysupdate_target", true) : "partition";
        if (!target.equals("partition") && !rootPath(target)) throw t.err("sysupdate_target", "sysupdate_target must be \"partition\" or an absolute directory, not '" + target + "'");
        if (mode.equals("sysupdate")) {
            if (source.equals("fleet")) throw t.err("release_source", "release_source = \"fleet\" needs mode = \"controller\" (systemd-sysupdate reads a channel)");
            if (output.formats().stream().noneMatch(StageSpec.Output.IMAGE_FORMATS::contains)) {
                throw t.err("mode", "mode = \"sysupdate\" needs a root image format (" + String.join(" or ", StageSpec.Output.IMAGE_FORMATS) + ") in [output] formats");
            }
        } else if (t.has("sysupdate_target")) {
            throw t.err("sysupdate_target", "sysupdate_target needs mode = \"sysupdate\"");
        }
        t.done();
        return new StageSpec.Controller(server.replaceAll("/+$", ""), channel, keyring, source, mode, target);
    }

    private StageSpec.Output output(T t) {
        if (t == null) return new StageSpec.Output(List.of("tar.zst"), false, "gzip", null, null, false, StageSpec.Image.NONE);
        List<String> formats = t.has("formats") ? t.strList("formats") : List.of("tar.zst");
        if (formats.isEmpty()) throw t.err("formats", "formats may not be empty");
        for (int i = 0; i < formats.size(); i++) {
            List<String> known = new ArrayList<>(StageSpec.Output.ARCHIVE_FORMATS);
            known.addAll(StageSpec.Output.IMAGE_FORMATS);
            known.addAll(StageSpec.Output.DISK_FORMATS);
            if (!known.contains(formats.get(i))) throw t.errAt("formats", i, "format must be " + String.join(", ", known.subList(0, known.size() - 1)) + " or " + known.get(known.size() - 1) + ", not '" + formats.get(i) + "'");
            if (formats.indexOf(formats.get(i)) != i) throw t.errAt("formats", i, "format '" + formats.get(i) + "' given twice");
        }
        boolean oci = t.bool("oci", false);
        String oc = t.has("oci_compression") ? t.str("oci_compression", true) : "gzip";
        if (!oc.equals("gzip") && !oc.equals("zstd")) throw t.err("oci_compression", "oci_compression must be gzip or zstd");
        Path key = t.path("signing_key", false);
        Path pass = t.path("passphrase_file", false);
        if (pass != null && key == null) throw t.err("passphrase_file", "passphrase_file needs signing_key");
        boolean repository = t.bool("repository", false);
        StageSpec.Image image = image(t);
        StageSpec.Disk disk = disk(t.table("disk", false));
        t.done();
        return new StageSpec.Output(formats, oci, oc, key, pass, repository, image, disk);
    }

    /** {@code [output.disk]}: sizes in MiB, GPT partition names (at most 36 characters), slot B, boot tries. */
    private StageSpec.Disk disk(T t) {
        StageSpec.Disk d = StageSpec.Disk.DEFAULT;
        if (t == null) return d;
        int esp = t.integer("esp_size", d.espMib(), 33, 1 << 20);
        int root = t.integer("root_size", d.rootMib(), 8, 1 << 24);
        int state = t.integer("state_size", d.stateMib(), 8, 1 << 24);
        String[] labels = new String[4];
        String[] keys = {"esp_label", "root_label_a", "root_label_b", "state_label"};
        String[] dflt = {d.espLabel(), d.rootLabelA(), d.rootLabelB(), d.stateLabel()};
        for (int i = 0; i < 4; i++) {
            labels[i] = t.has(keys[i]) ? t.str(keys[i], true) : dflt[i];
            if (!labels[i].matches("[A-Za-z0-9_-]{1,11}")) throw t.err(keys[i], keys[i] + " must be 1 to 11 of A-Z a-z 0-9 _ - (a FAT or ext4 label)");
        }
        String slotB = t.has("slot_b") ? t.str("slot_b", true) : d.slotB();
        if (!slotB.equals("empty") && !slotB.equals("filled")) throw t.err("slot_b", "slot_b must be empty or filled");
        int tries = t.integer("tries", d.tries(), 0, 9);
        String cmdline = t.has("cmdline") ? t.str("cmdline", true) : d.cmdline();
        if (cmdline.contains("\n") || cmdline.contains("root=")) throw t.err("cmdline", "cmdline is one line without root= (each slot's entry sets root=PARTUUID=...)");
        String rootFs = t.has("root_fs") ? t.str("root_fs", true) : d.rootFs();
        if (!List.of("ext4", "erofs", "squashfs").contains(rootFs)) throw t.err("root_fs", "root_fs must be ext4, erofs or squashfs");
        t.done();
        return new StageSpec.Disk(esp, root, state, labels[0], labels[1], labels[2], labels[3], slotB, tries, cmdline, rootFs);
    }

    /** {@code [build]}: from_source is "missing", "all" or an array of atoms; jobs ≥ 1. */
    private StageSpec.BuildSettings build(T t) {
        StageSpec.BuildSettings d = StageSpec.BuildSettings.defaults();
        if (t == null) return d;
        StageSpec.BuildSettings.FromSource mode = d.fromSource();
        List<String> atoms = List.of();
        if (t.has("from_source")) {
            if (t.table.get(List.of("from_source")) instanceof TomlArray) {
                mode = StageSpec.BuildSettings.FromSource.LIST;
                atoms = t.strList("from_source");
                for (int i = 0; i < atoms.size(); i++) atom(t, "from_source", atoms.get(i), i);
            } else {
                String v = t.str("from_source", true);
                mode = switch (v) {
                    case "missing" -> StageSpec.BuildSettings.FromSource.MISSING;
                    case "all" -> StageSpec.BuildSettings.FromSource.ALL;
                    default -> throw t.err("from_source", "from_source must be \"missing\", \"all\" or an array of atoms, not '" + v + "'");
                };
            }
        }
        int jobs = t.integer("jobs", d.jobs(), 1, 1024);
        boolean keepGoing = t.bool("keep_going", false);
        Path ccache = t.path("ccache", false);
        List<String> distcc = t.strList("distcc_hosts");
        for (int i = 0; i < distcc.size(); i++) {
            if (!distcc.get(i).matches("\\S+")) throw t.errAt("distcc_hosts", i, "distcc host may not contain whitespace: '" + distcc.get(i) + "'");
        }
        boolean network = t.bool("network", true);
        Path distfiles = t.path("distfiles", false);
        t.done();
        return new StageSpec.BuildSettings(mode, atoms, jobs, keepGoing, ccache, distcc, network, distfiles);
    }

    /** The OCI image config keys of [output]: entrypoint, cmd, env, user, labels. */
    private StageSpec.Image image(T t) {
        List<String> entrypoint = t.has("entrypoint") ? t.strList("entrypoint") : null;
        List<String> cmd = t.has("cmd") ? t.strList("cmd") : null;
        Map<String, String> env = new java.util.LinkedHashMap<>();
        if (t.has("env") && t.table.get(List.of("env")) instanceof TomlTable) {
            T e = t.table("env", false);
            for (String k : e.keys()) {
                if (!VAR.matcher(k).matches()) throw e.err(k, "'" + k + "' is not a variable name");
                env.put(k, e.value(k));
            }
        } else {
            List<String> l = t.strList("env");
            for (int i = 0; i < l.size(); i++) {
                int eq = l.get(i).indexOf('=');
                if (eq <= 0 || !VAR.matcher(l.get(i).substring(0, eq)).matches()) {
                    throw t.errAt("env", i, "env entries are 'NAME=value', not '" + l.get(i) + "'");
                }
                env.put(l.get(i).substring(0, eq), l.get(i).substring(eq + 1));
            }
        }
        String user = t.word("user", false);
        Map<String, String> labels = new TreeMap<>();
        T lt = t.table("labels", false);
        if (lt != null) {
            for (String k : lt.keys()) labels.put(k, lt.value(k));
        }
        return new StageSpec.Image(entrypoint, cmd, env, user, labels);
    }

    private String atom(T t, String key, String value, int index) {
        try {
            Atom.parse(value);
        } catch (ParseException e) {
            throw index < 0 ? t.err(key, "bad atom '" + value + "': " + e.reason()) : t.errAt(key, index, "bad atom '" + value + "': " + e.reason());
        }
        return value;
    }

    private static String canonical(Object v) {
        Object plain = v instanceof TomlTable tt ? tt.toMap() : v instanceof TomlArray ta ? ta.toList() : v;
        try {
            return JSON.writeValueAsString(plain);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A table being read: remembers which keys were consumed so the rest are reported as unknown. */
    private final class T {
        private final TomlTable table;
        private final String name;
        private final Set<String> used = new HashSet<>();
        /** Every key the parser looked for here: the candidates for "did you mean". */
        private final Set<String> known = new java.util.TreeSet<>();
        private final TomlPosition pos;

        T(TomlTable table, String name, TomlPosition pos) {
            this.table = table;
            this.name = name;
            this.pos = pos;
        }

        Set<String> keys() {
            used.addAll(table.keySet());
            return new java.util.TreeSet<>(table.keySet());
        }

        boolean has(String key) {
            known.add(key);
            return table.contains(List.of(key));
        }

        int line() {
            return pos == null ? 0 : pos.line();
        }

        int col() {
            return pos == null ? 0 : pos.column();
        }

        private String where() {
            return name.isEmpty() ? "the top level" : "[" + name + "]";
        }

        ParseException err(String key, String reason) {
            TomlPosition p = table.inputPositionOf(List.of(key));
            return new ParseException(source, p == null ? 0 : p.line(), p == null ? 0 : p.column(), reason);
        }

        ParseException errAt(String key, int index, String reason) {
            TomlArray a = table.getArray(List.of(key));
            TomlPosition p = a == null || index >= a.size() ? null : a.inputPositionOf(index);
            if (p == null) return err(key, reason);
            return new ParseException(source, p.line(), p.column(), reason);
        }

        void done() {
            for (String k : new java.util.TreeSet<>(table.keySet())) {
                if (!used.contains(k)) throw err(k, "unknown key '" + k + "' in " + where() + Suggest.didYouMean(k, known));
            }
        }

        /** When none of {@code wanted} is here, an error for a present key that looks like a typo of one of them. */
        void typoOf(String... wanted) {
            for (String k : new java.util.TreeSet<>(table.keySet())) {
                if (known.contains(k)) continue;
                String s = Suggest.closest(k, List.of(wanted)).orElse(null);
                if (s != null && !table.contains(List.of(s))) {
                    throw err(k, "unknown key '" + k + "' in " + where() + " (did you mean '" + s + "'?)");
                }
            }
        }

        private Object get(String key, boolean required, String type) {
            used.add(key);
            known.add(key);
            Object v = table.get(List.of(key));
            if (v == null && required) {
                typoOf(key);
                throw new ParseException(source, 0, 0, "missing key '" + key + "' (" + type + ") in " + where());
            }
            return v;
        }

        T table(String key, boolean required) {
            Object v = get(key, required, "a table");
            if (v == null) return null;
            if (!(v instanceof TomlTable tt)) throw err(key, where() + " " + key + ": expected a table");
            return new T(tt, name.isEmpty() ? key : name + "." + key, table.inputPositionOf(List.of(key)));
        }

        List<T> tables(String key) {
            Object v = get(key, false, "an array of tables");
            if (v == null) return List.of();
            if (!(v instanceof TomlArray a) || !(a.isEmpty() || a.get(0) instanceof TomlTable)) {
                throw err(key, where() + " " + key + ": expected an array of tables ([[" + key + "]])");
            }
            List<T> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) out.add(new T(a.getTable(i), (name.isEmpty() ? "" : name + ".") + key, a.inputPositionOf(i)));
            return out;
        }

        String str(String key, boolean required) {
            Object v = get(key, required, "a string");
            if (v == null) return null;
            if (!(v instanceof String s)) throw err(key, where() + " " + key + ": expected a string");
            if (s.isBlank()) throw err(key, where() + " " + key + ": may not be empty");
            if (s.indexOf('\0') >= 0) throw err(key, where() + " " + key + ": NUL character");
            return s;
        }

        /** A one-line string that may be empty (environment values, labels). */
        String value(String key) {
            Object v = get(key, true, "a string");
            if (!(v instanceof String s)) throw err(key, where() + " " + key + ": expected a string");
            if (s.indexOf('\0') >= 0 || s.indexOf('\n') >= 0) throw err(key, where() + " " + key + ": must be one line");
            return s;
        }

        String name(String key) {
            String s = str(key, true);
            if (!NAME.matcher(s).matches()) throw err(key, "bad " + key + " '" + s + "' (letters, digits, . _ + -)");
            return s;
        }

        String word(String key, boolean required) {
            String s = str(key, required);
            if (s != null && !s.matches("\\S+")) throw err(key, key + " may not contain whitespace: '" + s + "'");
            return s;
        }

        String account(String key) {
            String s = str(key, true);
            if (!USER.matcher(s).matches() || s.length() > 32) throw err(key, "bad account name '" + s + "'");
            return s;
        }

        Path path(String key, boolean required) {
            String s = str(key, required);
            return s == null ? null : dir.resolve(s).normalize();
        }

        boolean bool(String key, boolean dflt) {
            Object v = get(key, false, "a boolean");
            if (v == null) return dflt;
            if (!(v instanceof Boolean b)) throw err(key, where() + " " + key + ": expected true or false");
            return b;
        }

        int integer(String key, int dflt, int min, int max) {
            Object v = get(key, false, "an integer");
            if (v == null) return dflt;
            if (!(v instanceof Long l) || l < min || l > max) throw err(key, where() + " " + key + ": expected an integer " + min + ".." + max);
            return l.intValue();
        }

        List<String> strList(String key) {
            Object v = get(key, false, "an array of strings");
            if (v == null) return List.of();
            if (!(v instanceof TomlArray a)) throw err(key, where() + " " + key + ": expected an array of strings");
            List<String> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof String s) || s.isBlank() || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0) {
                    throw errAt(key, i, where() + " " + key + ": element " + (i + 1) + " must be a non-empty one-line string");
                }
                out.add(s);
            }
            return out;
        }

        List<String> atoms(String key) {
            List<String> l = strList(key);
            for (int i = 0; i < l.size(); i++) {
                if (!l.get(i).startsWith("@")) atom(this, key, l.get(i), i);
            }
            return l;
        }

        /** package.* style lines: an atom, then words (flags, keywords, licenses). */
        List<String> atomLines(String key, boolean needWords) {
            List<String> l = strList(key);
            for (int i = 0; i < l.size(); i++) {
                String[] w = l.get(i).trim().split("\\s+");
                if (!w[0].equals("*/*")) atom(this, key, w[0], i);
                if (needWords && w.length < 2) throw errAt(key, i, key + " line needs an atom and at least one value: '" + l.get(i) + "'");
            }
            return l;
        }
    }

}

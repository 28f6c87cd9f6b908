package org.stageforge.configure;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.configure.ConfigureResult.OwnershipIntent;
import org.stageforge.configure.SystemConfig.FstabEntry;
import org.stageforge.configure.SystemConfig.InitSystem;
import org.stageforge.configure.SystemConfig.Service;
import org.stageforge.merge.Accounts;
import org.stageforge.merge.RootFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The configuration part: sets up a Gentoo root from a {@link SystemConfig} natively, executing nothing from the
 * target. Order: hostname, locales, timezone, keymap, fstab, groups, users, root password, services. All values are
 * checked before anything is written. Every write stays inside the root (symlinks resolved with the root as
 * {@code /}), files are replaced atomically and only when their bytes change, so a second run with the same
 * configuration changes nothing. Owners a normal user cannot set (home directories) come back as
 * {@link OwnershipIntent}s for the merge engine's file table ({@link ConfigureResult#applyTo}).
 *
 * <p>Files written (for the init system given or detected):
 * <ul>
 *   <li>hostname: systemd {@code etc/hostname}; OpenRC {@code hostname="NAME"} in {@code etc/conf.d/hostname}</li>
 *   <li>locales: {@code etc/locale.gen} (comments kept, entries replaced, sorted; checked against
 *       {@code usr/share/i18n/SUPPORTED} when the root has it), {@code etc/env.d/02locale} as eselect locale writes
 *       it, and for systemd {@code etc/locale.conf}. The locale archive is not built (that needs the target's
 *       localedef): {@code locale-gen} is listed in {@link ConfigureResult#firstBoot()}; env-update (the merge
 *       engine's) must run after this part for 02locale to reach {@code etc/profile.env}</li>
 *   <li>timezone: {@code etc/localtime -> ../usr/share/zoneinfo/ZONE} (relative, as timedatectl and the Gentoo
 *       handbook make it) and {@code etc/timezone}</li>
 *   <li>keymap: OpenRC {@code keymap="X"} in {@code etc/conf.d/keymaps}; systemd {@code KEYMAP=X} in
 *       {@code etc/vconsole.conf} (other settings in those files are kept)</li>
 *   <li>fstab: {@code etc/fstab}, its comments kept, its entries replaced in the order given</li>
 *   <li>accounts: {@link Accounts} (groupadd/useradd/usermod semantics of shadow 4.14, normal ID range, shadow
 *       last-change day from SOURCE_DATE_EPOCH), home directory with a copy of {@code etc/skel},
 *       {@code ~/.ssh/authorized_keys} (0600 in a 0700 directory)</li>
 *   <li>services: OpenRC {@code etc/runlevels/LEVEL/SVC -> /etc/init.d/SVC}; systemd as {@link SystemdUnits}</li>
 * </ul>
 */
public final class Configurator {
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern LOCALE = Pattern.compile("[A-Za-z0-9_.@+-]+");
    private static final Pattern CHARMAP = Pattern.compile("[A-Za-z0-9_.:-]+");
    private static final Pattern ZONE_PART = Pattern.compile("[A-Za-z0-9_+-][A-Za-z0-9._+-]*");
    private static final Pattern KEYMAP = Pattern.compile("[A-Za-z0-9_.+-]+");
    private static final Pattern RUNLEVEL = Pattern.compile("[A-Za-z0-9_+-][A-Za-z0-9._+-]*");
    private static final Pattern CRYPT = Pattern.compile("!?(\\$[0-9a-z]{1,3}\\$[./A-Za-z0-9$=,+-]+|[./A-Za-z0-9]{13})");
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9_+:\\\\-][A-Za-z0-9._+:@\\\\-]*");
    private static final String SUPPORTED = "usr/share/i18n/SUPPORTED";
    private static final String ZONEINFO = "usr/share/zoneinfo";

    private final TargetRoot root;
    private final SystemConfig cfg;
    private final long now;
    private final List<String> warnings = new ArrayList<>();
    private final List<String> firstBoot = new ArrayList<>();
    private final Map<String, OwnershipIntent> intents = new TreeMap<>();
    private InitSystem init;

    private Configurator(Path root, SystemConfig cfg, long now) {
        this.root = new TargetRoot(root);
        this.cfg = cfg;
        this.now = now;
    }

    /** Configures {@code root} with "now" given in seconds since 1970. */
    public static ConfigureResult configure(Path root, SystemConfig cfg, long nowEpochSeconds) {
        Configurator c = new Configurator(root, cfg, nowEpochSeconds);
        c.check();
        cfg.hostname().ifPresent(c::hostname);
        c.locales();
        cfg.timezone().ifPresent(c::timezone);
        cfg.keymap().ifPresent(c::keymap);
        if (!cfg.fstab().isEmpty()) c.fstab();
        c.accounts();
        for (Service s : cfg.services()) c.service(s);
        return new ConfigureResult(c.root.actions(), new ArrayList<>(c.intents.values()), c.warnings, c.firstBoot);
    }

    // ---------------------------------------------------------------- checks before writing

    private void check() {
        cfg.hostname().ifPresent(h -> {
            if (h.length() > 64 || !Stream.of(h.split("\\.", -1)).allMatch(l -> HOST_LABEL.matcher(l).matches()))
                throw new ParseException("hostname '" + h + "'", 0, 0, "not a valid host name (RFC 1123 labels)");
        });
        for (String l : cfg.locales()) parseLocale(l);
        cfg.lang().ifPresent(v -> checkValue("LANG", v, LOCALE));
        cfg.lcCollate().ifPresent(v -> checkValue("LC_COLLATE", v, LOCALE));
        cfg.timezone().ifPresent(Configurator::checkZone);
        cfg.keymap().ifPresent(v -> checkValue("keymap", v, KEYMAP));
        for (FstabEntry e : cfg.fstab()) fstabLine(e);
        for (SystemConfig.Group g : cfg.groups()) new Accounts.Group(g.name(), g.gid(), false);
        for (SystemConfig.User u : cfg.users()) {
            List<String> groups = new ArrayList<>(List.of(u.primaryGroup() == null ? u.name() : u.primaryGroup()));
            groups.addAll(u.groups());
            String home = u.home() == null ? "/home/" + u.name() : checkHome(u.name(), u.home());
            new Accounts.User(u.name(), u.uid(), false, false, u.comment() == null ? "" : u.comment(), home, "",
                    "0755", u.shell() == null ? "/bin/bash" : u.shell(), groups);
            if (u.password() != null) checkPassword("user " + u.name(), u.password());
            for (String k : u.authorizedKeys())
                if (k.isBlank() || k.indexOf('\n') >= 0 || k.indexOf('\r') >= 0)
                    throw new ParseException("user " + u.name(), 0, 0, "an authorized key must be one non-empty line");
        }
        cfg.rootPassword().ifPresent(p -> checkPassword("root password", p));
        for (Service s : cfg.services()) {
            if (s.action() == null) throw new ParseException("service " + s.name(), 0, 0, "no action");
            if (!SERVICE.matcher(s.name()).matches())
                throw new ParseException("service '" + s.name() + "'", 0, 0, "invalid service name");
            if (s.runlevel() != null) checkValue("runlevel of service " + s.name(), s.runlevel(), RUNLEVEL);
        }
    }

    private static void checkValue(String what, String v, Pattern p) {
        if (!p.matcher(v).matches()) throw new ParseException(what + " '" + v + "'", 0, 0, "invalid value");
    }

    private static void checkZone(String zone) {
        String[] parts = zone.split("/", -1);
        if (zone.length() > 255 || !Stream.of(parts).allMatch(p -> ZONE_PART.matcher(p).matches()))
            throw new ParseException("timezone '" + zone + "'", 0, 0, "not a zoneinfo name such as Europe/Berlin");
    }

    private static void checkPassword(String what, String p) {
        if (!p.equals("!") && !p.equals("*") && !p.equals("!*") && !CRYPT.matcher(p).matches())
            throw new ParseException(what, 0, 0,
                    "not a crypt hash ($6$…, $y$…), '!' or '*' (give the hash, never the password)");
    }

    // ---------------------------------------------------------------- init system

    private InitSystem init(String forWhat) {
        if (init != null) return init;
        Optional<InitSystem> i = cfg.init().or(this::detectInit);
        if (i.isEmpty()) throw new StageforgeException(forWhat + ": cannot tell the init system of " + root.root()
                + " (neither sbin/openrc nor usr/lib/systemd/systemd there); set it in the configuration");
        return init = i.get();
    }

    private Optional<InitSystem> detectInit() {
        boolean openrc = exists("sbin/openrc");
        boolean systemd = exists("usr/lib/systemd/systemd") || exists("lib/systemd/systemd");
        if (openrc && systemd) throw new StageforgeException("both OpenRC and systemd are installed in "
                + root.root() + "; set the init system in the configuration");
        return openrc ? Optional.of(InitSystem.OPENRC) : systemd ? Optional.of(InitSystem.SYSTEMD) : Optional.empty();
    }

    private boolean exists(String rel) {
        return Files.exists(root.real(rel));
    }

    // ---------------------------------------------------------------- items

    private void hostname(String name) {
        if (init("hostname") == InitSystem.SYSTEMD) {
            root.write("etc/hostname", name + "\n");
        } else {
            setVars("etc/conf.d/hostname", Map.of("hostname", name), true, null);
            // OpenRC's hostname service prefers etc/hostname when the root has one
            if (root.isFile("etc/hostname")) root.write("etc/hostname", name + "\n");
        }
    }

    private record LocaleEntry(String name, String charmap) {}

    private static LocaleEntry parseLocale(String s) {
        String[] w = s.strip().split("\\s+");
        String name = w[0];
        String charmap;
        if (w.length == 2) {
            charmap = w[1];
        } else if (w.length == 1 && name.indexOf('.') > 0) {
            charmap = name.substring(name.indexOf('.') + 1).replaceFirst("@.*", "");
        } else {
            throw new ParseException("locale '" + s + "'", 0, 0, "expected 'NAME CHARMAP' such as 'en_US.UTF-8 UTF-8'");
        }
        if (!LOCALE.matcher(name).matches() || !CHARMAP.matcher(charmap).matches())
            throw new ParseException("locale '" + s + "'", 0, 0, "invalid locale name or charmap");
        return new LocaleEntry(name, charmap);
    }

    private void locales() {
        if (!cfg.locales().isEmpty()) {
            Set<String> entries = new TreeSet<>();
            String supported = root.read(SUPPORTED);
            Set<String> known = new HashSet<>();
            if (supported != null)
                for (String l : supported.split("\n")) {
                    String t = l.strip().replaceFirst("\\s*\\\\$", "");
                    if (t.indexOf('/') > 0 && !t.startsWith("#")) known.add(t.replace('/', ' '));
                }
            for (String s : cfg.locales()) {
                LocaleEntry e = parseLocale(s);
                String line = e.name + " " + e.charmap;
                if (supported != null && !known.contains(line))
                    throw new ParseException("locale '" + s + "'", 0, 0, "not listed in " + SUPPORTED + " of the root");
                entries.add(line);
            }
            List<String> out = new ArrayList<>();
            for (String l : TargetRoot.lines(root.read("etc/locale.gen"))) {
                String t = l.strip();
                if (t.isEmpty() || t.startsWith("#")) out.add(l);
            }
            while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) out.remove(out.size() - 1);
            if (!out.isEmpty()) out.add("");
            out.addAll(entries);
            root.write("etc/locale.gen", TargetRoot.text(out));
            firstBoot.add("locale-gen: build the locales of /etc/locale.gen (needs the target's localedef)");
        }
        Map<String, String> vars = new TreeMap<>();
        cfg.lang().ifPresent(v -> vars.put("LANG", v));
        cfg.lcCollate().ifPresent(v -> vars.put("LC_COLLATE", v));
        if (vars.isEmpty()) return;
        setVars("etc/env.d/02locale", vars, true,
                List.of("# Configuration file for eselect", "# This file has been automatically generated."));
        Optional<InitSystem> i = init != null ? Optional.of(init) : cfg.init().or(this::detectInit);
        if (i.isEmpty()) warnings.add("init system unknown: etc/locale.conf (systemd) not written");
        else if (i.get() == InitSystem.SYSTEMD) setVars("etc/locale.conf", vars, false, null);
    }

    private void timezone(String zone) {
        if (root.isDirectory(ZONEINFO)) {
            byte[] head = new byte[4];
            Path z = root.real(ZONEINFO + "/" + zone);
            boolean tzif = false;
            if (Files.isRegularFile(z)) {
                try (var in = Files.newInputStream(z)) {
                    tzif = in.readNBytes(head, 0, 4) == 4 && new String(head, StandardCharsets.US_ASCII).equals("TZif");
                } catch (IOException e) {
                    throw new StageforgeException("cannot read " + ZONEINFO + "/" + zone + ": " + e.getMessage(), e);
                }
            }
            if (!tzif) throw new StageforgeException("timezone '" + zone + "': no zoneinfo file " + ZONEINFO + "/"
                    + zone + " in the root", ExitCodes.NOT_FOUND, null);
        } else {
            warnings.add("timezone '" + zone + "': the root has no " + ZONEINFO + " (install sys-libs/timezone-data)");
        }
        root.symlink("etc/localtime", "../" + ZONEINFO + "/" + zone);
        root.write("etc/timezone", zone + "\n");
    }

    private void keymap(String map) {
        if (init("keymap") == InitSystem.SYSTEMD) setVars("etc/vconsole.conf", Map.of("KEYMAP", map), false, null);
        else setVars("etc/conf.d/keymaps", Map.of("keymap", map), true, null);
    }

    /**
     * Sets shell-style {@code KEY=value} lines in a file: the first assignment of each key is replaced, later ones
     * dropped, missing keys appended (sorted); other lines stay. A new file starts with {@code header}.
     */
    private void setVars(String rel, Map<String, String> vars, boolean quote, List<String> header) {
        String old = root.read(rel);
        List<String> lines = old == null ? new ArrayList<>(header == null ? List.of() : header) : TargetRoot.lines(old);
        Map<String, String> todo = new TreeMap<>(vars);
        List<String> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (String l : lines) {
            String t = l.strip().replaceFirst("^export\\s+", "");
            int eq = t.indexOf('=');
            String key = eq > 0 ? t.substring(0, eq) : null;
            if (key != null && vars.containsKey(key)) {
                if (done.add(key)) out.add(key + "=" + (quote ? "\"" + vars.get(key) + "\"" : vars.get(key)));
                todo.remove(key);
            } else {
                out.add(l);
            }
        }
        todo.forEach((k, v) -> out.add(k + "=" + (quote ? "\"" + v + "\"" : v)));
        root.write(rel, TargetRoot.text(out));
    }

    private static String fstabLine(FstabEntry e) {
        String where = "fstab entry for '" + e.file() + "'";
        for (String f : new String[] {e.spec(), e.file(), e.vfstype(), e.options()})
            if (f == null || f.isEmpty() || f.indexOf('\n') >= 0)
                throw new ParseException(where, 0, 0, "every field must be set and on one line");
        if (e.vfstype().matches(".*\\s.*") || e.options().matches(".*\\s.*"))
            throw new ParseException(where, 0, 0, "type and options must not contain whitespace");
        if (e.dump() < 0 || e.pass() < 0) throw new ParseException(where, 0, 0, "dump and pass must be >= 0");
        return escapeFstab(e.spec()) + "\t" + escapeFstab(e.file()) + "\t" + e.vfstype() + "\t" + e.options()
                + "\t" + e.dump() + " " + e.pass();
    }

    /** fstab(5) octal escapes for whitespace and backslashes. */
    private static String escapeFstab(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == ' ' || c == '\t' || c == '\\') sb.append(String.format("\\%03o", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    private void fstab() {
        List<String> out = new ArrayList<>();
        for (String l : TargetRoot.lines(root.read("etc/fstab"))) {
            String t = l.strip();
            if (t.isEmpty() || t.startsWith("#")) out.add(l);
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) out.remove(out.size() - 1);
        if (!out.isEmpty()) out.add("");
        for (FstabEntry e : cfg.fstab()) out.add(fstabLine(e));
        root.write("etc/fstab", TargetRoot.text(out));
    }

    // ---------------------------------------------------------------- accounts

    /** A home directory: absolute, no {@code .}/{@code ..} or empty components (it is created in the root). */
    private static String checkHome(String user, String h) {
        if (h.equals("/dev/null")) return h;
        if (!h.startsWith("/") || h.length() < 2)
            throw new ParseException("user " + user, 0, 0, "home '" + h + "' is not an absolute path below /");
        TargetRoot.checkRelative("user " + user + " home", h.substring(1));
        return h;
    }

    /** The groups listing {@code user} as a member in etc/group (usermod without -G keeps them). */
    private List<String> memberships(String user) {
        List<String> out = new ArrayList<>();
        for (String l : TargetRoot.lines(root.read("etc/group"))) {
            String[] f = l.split(":", -1);
            if (f.length == 4 && List.of(f[3].split(",")).contains(user)) out.add(f[0]);
        }
        return out;
    }

    /** The etc/passwd fields of an existing user (as the first matching valid line has them), or null. */
    private String[] passwdEntry(String name) {
        for (String l : TargetRoot.lines(root.read("etc/passwd"))) {
            String[] f = l.split(":", -1);
            if (f.length == 7 && f[0].equals(name) && f[3].matches("[0-9]{1,10}")) return f;
        }
        return null;
    }

    private void accounts() {
        if (cfg.groups().isEmpty() && cfg.users().isEmpty() && cfg.rootPassword().isEmpty() && !cfg.lockRoot()) return;
        Accounts acc = Accounts.open(root.root(), now);
        for (SystemConfig.Group g : cfg.groups())
            record(acc.addGroup(new Accounts.Group(g.name(), g.gid(), g.gid() != -1), false));
        Map<String, String> defs = loginDefs();
        int homeMode = homeMode(defs);
        for (SystemConfig.User u : cfg.users()) {
            // unset values: an existing user keeps its own, a new one gets useradd's defaults
            String[] old = passwdEntry(u.name());
            String primary = u.primaryGroup();
            if (primary == null && old != null) {
                primary = old[3];
            } else if (primary == null) {
                long preferred = u.uid() != -1 ? u.uid() : acc.freeId(true, false);
                record(acc.addUserGroup(u.name(), preferred));
                primary = u.name();
            }
            List<String> groups = new ArrayList<>();
            groups.add(primary);
            groups.addAll(u.groups().isEmpty() && old != null ? memberships(u.name()) : u.groups());
            String home = u.home() != null ? u.home() : old != null ? old[5] : "/home/" + u.name();
            String shell = u.shell() != null ? u.shell() : old != null ? old[6] : "/bin/bash";
            String comment = u.comment() != null ? u.comment() : old != null ? old[4] : "";
            Accounts.Outcome o = acc.addUser(new Accounts.User(u.name(), u.uid(), u.uid() != -1, false, comment,
                    home, "", String.format("%04o", homeMode), shell, groups), false);
            record(o);
            String pw = passwordField(u.password(), u.locked());
            if (pw != null) record(acc.setPassword(u.name(), pw));
            if (o.home().isPresent() && (u.createHome() || !u.authorizedKeys().isEmpty())) {
                checkHome(u.name(), home);
                home(u, o.home().get(), homeMode);
            }
        }
        String rootPw = passwordField(cfg.rootPassword().orElse(null), cfg.lockRoot());
        if (rootPw != null) record(acc.setPassword("root", rootPw));
    }

    /** The password field: the hash, with {@code !} before it when locked; null: leave it. */
    private static String passwordField(String hash, boolean locked) {
        if (hash == null) return locked ? "!" : null;
        return locked && !hash.startsWith("!") ? "!" + hash : hash;
    }

    private void record(Accounts.Outcome o) {
        for (Path p : o.written()) {
            String rel = root.root().relativize(p).toString();
            root.actions().add(new ConfigureResult.FileAction(ConfigureResult.Kind.REPLACED, rel, ""));
        }
    }

    private void home(SystemConfig.User u, Accounts.HomeDir h, int homeMode) {
        String rel = h.path().substring(1);
        long uid = h.uid(), gid = h.gid();
        boolean created = root.mkdir(rel, homeMode);
        intent(rel, 'd', uid, gid, h.mode());
        if (u.createHome()) copySkel(rel, uid, gid, created);
        if (!u.authorizedKeys().isEmpty()) {
            root.mkdir(rel + "/.ssh", 0700);
            intent(rel + "/.ssh", 'd', uid, gid, 0700);
            root.write(rel + "/.ssh/authorized_keys", TargetRoot.text(u.authorizedKeys()), 0600);
            intent(rel + "/.ssh/authorized_keys", 'f', uid, gid, 0600);
        }
    }

    /**
     * useradd -m: {@code etc/skel} copied into a new home (modes kept, owned by the user). The skel paths present
     * in the home get owner intents on every run, so the result is the same when the home already existed.
     */
    private void copySkel(String home, long uid, long gid, boolean created) {
        if (!root.isDirectory("etc/skel")) return;
        Path skel = root.real("etc/skel");
        List<Path> all;
        try (Stream<Path> s = Files.walk(skel)) {
            all = s.filter(p -> !p.equals(skel)).sorted().toList();
        } catch (IOException e) {
            throw new StageforgeException("cannot read etc/skel in " + root.root() + ": " + e.getMessage(), e);
        }
        for (Path p : all) {
            String sub = skel.relativize(p).toString();
            String rel = home + "/" + sub;
            try {
                int mode = RootFiles.mode(p);
                if (Files.isSymbolicLink(p)) {
                    if (created) root.symlink(rel, Files.readSymbolicLink(p).toString());
                    if (root.linkTarget(rel) != null) intent(rel, 'l', uid, gid, 0777);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (created) root.mkdir(rel, mode);
                    if (Files.isDirectory(root.entry(rel), LinkOption.NOFOLLOW_LINKS)) intent(rel, 'd', uid, gid, mode);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (created) root.write(rel, Files.readAllBytes(p), mode);
                    Path dst = root.entry(rel);
                    if (Files.isRegularFile(dst, LinkOption.NOFOLLOW_LINKS))
                        intent(rel, 'f', uid, gid, RootFiles.mode(dst));
                }
            } catch (IOException e) {
                throw new StageforgeException("cannot copy etc/skel/" + sub + " in " + root.root() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    private void intent(String rel, char type, long uid, long gid, int mode) {
        intents.put(rel, new OwnershipIntent(rel, type, uid, gid, mode));
    }

    private Map<String, String> loginDefs() {
        Map<String, String> defs = new HashMap<>();
        String text = root.read("etc/login.defs");
        if (text == null) return defs;
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] kv = l.split("[ \t]+", 2);
            if (kv.length == 2) defs.put(kv[0], kv[1].strip().replaceAll("^\"|\"$", ""));
        }
        return defs;
    }

    /** useradd's home mode: HOME_MODE, else 0777 & ~UMASK (default 022). */
    private static int homeMode(Map<String, String> defs) {
        for (String k : new String[] {"HOME_MODE", "UMASK"}) {
            String v = defs.get(k);
            if (v != null && v.matches("0?[0-7]{1,4}")) {
                int m = Integer.parseInt(v, 8);
                return k.equals("HOME_MODE") ? m : 0777 & ~m;
            }
        }
        return 0755;
    }

    // ---------------------------------------------------------------- services

    private void service(Service s) {
        if (init("service " + s.name()) == InitSystem.OPENRC) {
            if (s.action() == Service.Action.MASK)
                throw new StageforgeException("service " + s.name() + ": OpenRC has no masking", ExitCodes.BAD_INPUT, null);
            String svc = s.name();
            if (!RUNLEVEL.matcher(svc).matches())
                throw new ParseException("service '" + svc + "'", 0, 0, "invalid OpenRC service name");
            String level = s.runlevel() == null ? "default" : s.runlevel();
            String link = "etc/runlevels/" + level + "/" + svc;
            if (s.action() == Service.Action.DISABLE) {
                if (("/etc/init.d/" + svc).equals(root.linkTarget(link))) root.removeSymlink(link);
                return;
            }
            if (!root.isFile("etc/init.d/" + svc))
                throw new StageforgeException("service " + svc + ": no init script etc/init.d/" + svc + " in the root",
                        ExitCodes.NOT_FOUND, null);
            root.symlink(link, "/etc/init.d/" + svc);
        } else {
            if (s.runlevel() != null)
                throw new ParseException("service " + s.name(), 0, 0, "runlevels are OpenRC's; systemd has none");
            SystemdUnits units = new SystemdUnits(root, warnings);
            switch (s.action()) {
                case ENABLE -> units.enable(s.name());
                case DISABLE -> units.disable(s.name());
                case MASK -> units.mask(s.name());
            }
        }
    }
}

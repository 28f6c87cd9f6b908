package org.stageforge.merge;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * User and group accounts of acct-group / acct-user packages, created inside a target root the way Gentoo's
 * acct-group.eclass and acct-user.eclass do it with shadow 4.14's {@code groupadd/useradd/usermod --prefix ROOT}.
 *
 * <p>Usage (the merge engine, for each acct-* package, before merging its files):
 * <pre>
 *   Accounts acc = Accounts.open(root, options.accountsNow()); // SOURCE_DATE_EPOCH, as shadow takes it
 *   acc.addGroup(Accounts.Group.fromEnvironment(cpv, env));   // acct-group: pkg_pretend + pkg_preinst
 *   Accounts.Outcome o = acc.addUser(Accounts.User.fromEnvironment(cpv, env)); // acct-user: pretend+preinst+postinst
 *   o.home()  // the home directory's owner and mode to apply to the image (the eclass's fowners/fperms)
 * </pre>
 * {@code env} is the package's saved environment ({@link DeclareDump}); the eclass's build-time values
 * ({@code _ACCT_*}, which include user overrides) are preferred over the ebuild's {@code ACCT_*}.
 *
 * <p>What happens, as with Portage:
 * <ul>
 *   <li>Group: nothing if {@code etc/group} has the name. Otherwise {@code name:x:GID:} is appended (and
 *       {@code name:!::} to {@code etc/gshadow} if that file exists; it is never created) with the wanted GID if free,
 *       else the system-range search of shadow's {@code find_new_gid}: below the lowest used GID in
 *       [SYS_GID_MIN, SYS_GID_MAX] (login.defs in the root, defaults 101..GID_MIN-1=999), else the highest free one.</li>
 *   <li>User, new: {@code name:x:UID:GID:comment:home:shell} ({@code !} instead of {@code x} when there is no
 *       etc/shadow), {@code name:!:DAYS::::::} in etc/shadow when it exists, membership in the further groups
 *       (etc/group and etc/gshadow members). UID as for groups (passwd, SYS_UID_*).</li>
 *   <li>User, existing: usermod with the package's comment, home, shell, primary group and exactly its further groups
 *       (the user leaves groups not listed); a user locked by an earlier removal is unlocked. Nothing with
 *       ACCT_USER_NO_MODIFY.</li>
 *   <li>An ID taken by another account, or the account existing with another ID, fails when ENFORCE_ID is set
 *       (the eclass's pkg_pretend).</li>
 *   <li>Each changed file is replaced atomically after its previous content is saved as {@code NAME-} (same mode and
 *       mtime), as shadow's commonio does; file modes are kept (new passwd/group: 0644). Lines this code does not
 *       change are kept byte for byte.</li>
 * </ul>
 * DAYS (password last change, days since 1970) comes from the "now" given to {@link #open(Path, long)}: callers pass
 * SOURCE_DATE_EPOCH when set and not in the future (as shadow's gettime() does), else the clock.
 * Not done: faillog/lastlog/mail spool/subuid (useradd skips them for system accounts), nscd/sssd cache flushes,
 * creating the home directory (the merge engine merges it from the package image, see {@link Outcome#home()}).
 * Nothing outside the root is read or written; symlinks are resolved inside the root.
 */
public final class Accounts {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.-]*\\$?");
    private static final long MAX_ID = 0xFFFF_FFFEL;

    /** An acct-group package's account. {@code id} -1 means any free ID. */
    public record Group(String name, long id, boolean enforceId) {
        public Group {
            checkName("group", name);
            checkId(name, id);
        }

        /** From an acct-group package's saved environment; {@code pkg} names it in errors. */
        public static Group fromEnvironment(String pkg, DeclareDump env) {
            String name = required(pkg, env, "ACCT_GROUP_NAME");
            String id = first(env, "_ACCT_GROUP_ID", "ACCT_GROUP_ID")
                    .orElseThrow(() -> missing(pkg, "ACCT_GROUP_ID"));
            return wrap(pkg, () -> new Group(name, parseId(name, id), nonEmpty(env, "ACCT_GROUP_ENFORCE_ID")));
        }
    }

    /**
     * An acct-user package's account. {@code id} -1 means any free ID; {@code groups} are group names (or numbers),
     * the first one primary; {@code homeOwner} is {@code user[:group]} (names or numbers) or empty for the account's
     * own IDs; {@code homePerms} an octal mode.
     */
    public record User(String name, long id, boolean enforceId, boolean noModify, String comment, String home,
                       String homeOwner, String homePerms, String shell, List<String> groups) {
        public User {
            checkName("user", name);
            checkId(name, id);
            checkField(name, "comment", comment);
            checkField(name, "home", home);
            if (!home.startsWith("/")) throw bad(name, "home directory '" + home + "' is not absolute");
            checkField(name, "shell", shell);
            if (!shell.isEmpty() && !shell.startsWith("/") && !shell.startsWith("*"))
                throw bad(name, "invalid shell '" + shell + "'");
            groups = List.copyOf(groups);
            if (groups.isEmpty()) throw bad(name, "no groups");
            for (String g : groups) if (!NAME.matcher(g).matches()) throw bad(name, "invalid group name '" + g + "'");
            parseMode(name, homePerms);
            if (!homeOwner.isEmpty() && !homeOwner.matches("[A-Za-z0-9_.$-]+(:[A-Za-z0-9_.$-]*)?"))
                throw bad(name, "invalid home owner '" + homeOwner + "'");
        }

        /** From an acct-user package's saved environment; {@code pkg} names it in errors. */
        public static User fromEnvironment(String pkg, DeclareDump env) {
            String name = required(pkg, env, "ACCT_USER_NAME");
            String id = first(env, "_ACCT_USER_ID", "ACCT_USER_ID").orElseThrow(() -> missing(pkg, "ACCT_USER_ID"));
            String comment = first(env, "_ACCT_USER_COMMENT", "ACCT_USER_COMMENT")
                    .orElseGet(() -> env.scalar("DESCRIPTION").orElse("").replaceAll("[:,=]", ";"));
            String home = first(env, "_ACCT_USER_HOME", "ACCT_USER_HOME").orElse("/dev/null");
            String owner = first(env, "_ACCT_USER_HOME_OWNER", "ACCT_USER_HOME_OWNER").orElse("");
            String perms = first(env, "_ACCT_USER_HOME_PERMS", "ACCT_USER_HOME_PERMS").orElse("0755");
            String shell = first(env, "_ACCT_USER_SHELL", "ACCT_USER_SHELL").orElse("/sbin/nologin");
            List<String> groups = env.scalar("_ACCT_USER_GROUPS").filter(s -> !s.isEmpty())
                    .map(EnvUpdate::splitWhitespace)
                    .orElseGet(() -> env.array("ACCT_USER_GROUPS").stream()
                            .flatMap(g -> EnvUpdate.splitWhitespace(g).stream()).toList());
            return wrap(pkg, () -> new User(name, parseId(name, id), nonEmpty(env, "ACCT_USER_ENFORCE_ID"),
                    nonEmpty(env, "ACCT_USER_NO_MODIFY"), comment, home, owner, perms, shell, groups));
        }
    }

    /** Owner and mode the merge engine must give the home directory in the image ({@code gid} -1: unchanged). */
    public record HomeDir(String path, long uid, long gid, int mode) {}

    public enum Action { ADDED, UPDATED, UNCHANGED }

    /**
     * @param id      the account's UID/GID after the operation
     * @param written files replaced, in order (absolute paths inside the root; backups {@code NAME-} included)
     * @param home    for users whose home is not /dev/null
     */
    public record Outcome(Action action, long id, List<Path> written, Optional<HomeDir> home) {}

    private final Path root;
    private final long now;

    private Accounts(Path root, long now) {
        this.root = root.toAbsolutePath().normalize();
        this.now = now;
    }

    /** Accounts in {@code root} with "now" given in seconds since 1970. */
    public static Accounts open(Path root, long nowEpochSeconds) {
        return new Accounts(root, nowEpochSeconds);
    }

    // ---------------------------------------------------------------- groups

    public Outcome addGroup(Group g) {
        return addGroup(g, true);
    }

    /**
     * {@code groupadd}, with {@code -r} when {@code system}: a free GID is searched in the system range as in
     * {@link #addGroup(Group)}, else in the normal range [GID_MIN, GID_MAX] (see {@link #freeId}).
     */
    public Outcome addGroup(Group g, boolean system) {
        return addGroup(g, system, false);
    }

    /**
     * The group {@code useradd -U} (USERGROUPS_ENAB) makes for a new normal user: GID {@code preferredGid} (the
     * user's UID) when it is free and inside [GID_MIN, GID_MAX], else the normal-range search; the group password
     * field is {@code x} only when etc/gshadow exists (else {@code !}), as shadow's useradd writes it.
     */
    public Outcome addUserGroup(String name, long preferredGid) {
        return addGroup(new Group(name, preferredGid, false), false, true);
    }

    private Outcome addGroup(Group g, boolean system, boolean userGroup) {
        Db group = load("etc/group", 4);
        if (g.enforceId() && g.id() != -1) {
            String byId = group.nameWithId(g.id());
            if (byId != null && !byId.equals(g.name()))
                throw die("GID " + g.id() + " needed for group " + g.name() + " is already taken by " + byId);
            if (byId == null && group.grepName(g.name()) != null)
                throw die("group " + g.name() + " exists already with another GID than " + g.id());
        }
        String[] existing = group.grepName(g.name());
        if (existing != null) {
            long id = existing.length > 2 ? parseLongOr(existing[2], -1) : -1;
            return new Outcome(Action.UNCHANGED, id, List.of(), Optional.empty());
        }

        Db gshadow = loadIfPresent("etc/gshadow", 4);
        boolean usable = g.id() != -1 && group.nameWithId(g.id()) == null;
        if (userGroup && usable) {
            Map<String, String> defs = loginDefs();
            usable = g.id() >= def(defs, "GID_MIN", 1000) && g.id() <= def(defs, "GID_MAX", 60000);
        }
        long gid = usable ? g.id() : newId(group, system, false, "group " + g.name());
        group.append(g.name() + (userGroup && gshadow == null ? ":!:" : ":x:") + gid + ":");
        if (gshadow != null) gshadow.append(g.name() + ":!::");
        List<Path> written = new ArrayList<>();
        group.commit(written);
        if (gshadow != null) gshadow.commit(written);
        return new Outcome(Action.ADDED, gid, List.copyOf(written), Optional.empty());
    }

    // ---------------------------------------------------------------- users

    public Outcome addUser(User u) {
        return addUser(u, true);
    }

    /**
     * {@code useradd}/{@code usermod}, with {@code -r} when {@code system}. A new non-system user gets a UID in the
     * normal range (see {@link #freeId}) and the password aging of login.defs (PASS_MIN_DAYS, PASS_MAX_DAYS,
     * PASS_WARN_AGE) in etc/shadow, as useradd does; system users get none.
     */
    public Outcome addUser(User u, boolean system) {
        Db passwd = load("etc/passwd", 7);
        if (u.enforceId() && u.id() != -1) {
            String byId = passwd.nameWithId(u.id());
            if (byId != null && !byId.equals(u.name()))
                throw die("UID " + u.id() + " needed for user " + u.name() + " is already taken by " + byId);
            if (byId == null && passwd.grepName(u.name()) != null)
                throw die("user " + u.name() + " exists already with another UID than " + u.id());
        }
        Db shadow = loadIfPresent("etc/shadow", 9);
        Db group = load("etc/group", 4);
        Db gshadow = loadIfPresent("etc/gshadow", 4);
        List<String> aux = u.groups().subList(1, u.groups().size());
        long gid = groupId(group, u.groups().get(0), u.name());
        List<String> auxNames = new ArrayList<>();
        for (String a : aux) auxNames.add(groupName(group, a, u.name()));

        Action action;
        long uid;
        if (passwd.grepName(u.name()) == null) {
            uid = u.id() != -1 && passwd.nameWithId(u.id()) == null ? u.id()
                    : newId(passwd, system, true, "user " + u.name());
            passwd.append(String.join(":", bytes(u.name()), shadow != null ? "x" : "!", Long.toString(uid),
                    Long.toString(gid), bytes(u.comment()), bytes(u.home()), bytes(u.shell())));
            if (shadow != null) {
                long days = now / 86400;
                String aging = "::";
                if (!system) {
                    Map<String, String> defs = loginDefs();
                    aging = age(defs, "PASS_MIN_DAYS") + ":" + age(defs, "PASS_MAX_DAYS") + ":"
                            + age(defs, "PASS_WARN_AGE");
                }
                shadow.append(bytes(u.name()) + ":!:" + (days == 0 ? "" : Long.toString(days)) + ":" + aging + ":::");
            }
            for (Db db : Arrays.asList(group, gshadow)) {
                if (db == null) continue;
                for (int i = 0; i < db.lines.size(); i++) {
                    String[] f = db.entry(i);
                    if (f == null || !auxNames.contains(f[0]) || (db == gshadow && group.find(f[0]) < 0)) continue;
                    List<String> mem = members(f[3]);
                    if (!mem.contains(u.name())) mem.add(bytes(u.name()));
                    f[3] = String.join(",", mem);
                    db.set(i, String.join(":", f));
                }
            }
            action = Action.ADDED;
        } else if (u.noModify()) {
            int i = passwd.find(u.name());
            uid = i >= 0 ? parseLong(passwd.entry(i), 2) : -1;
            action = Action.UNCHANGED;
        } else {
            uid = usermod(u, passwd, shadow, group, gshadow, gid, auxNames);
            action = null;
        }
        List<Path> written = new ArrayList<>();
        passwd.commit(written);
        if (shadow != null) shadow.commit(written);
        group.commit(written);
        if (gshadow != null) gshadow.commit(written);
        if (action == null) action = written.isEmpty() ? Action.UNCHANGED : Action.UPDATED;

        Optional<HomeDir> home = Optional.empty();
        if (!u.home().equals("/dev/null")) {
            int i = passwd.find(u.name());
            long hu = i >= 0 ? parseLong(passwd.entry(i), 2) : uid;
            long hg = i >= 0 ? parseLong(passwd.entry(i), 3) : gid;
            if (!u.homeOwner().isEmpty()) {
                String[] og = u.homeOwner().split(":", 2);
                hu = og[0].matches("[0-9]+") ? Long.parseLong(og[0]) : userId(passwd, og[0], u.name());
                hg = og.length < 2 ? -1 : og[1].isEmpty() ? hg : groupId(group, og[1], u.name());
            }
            home = Optional.of(new HomeDir(u.home(), hu, hg, parseMode(u.name(), u.homePerms())));
        }
        return new Outcome(action, uid, List.copyOf(written), home);
    }

    /**
     * {@code usermod -p PASSWORD}: the encrypted password field of an existing user (in etc/shadow, with the last
     * change day set to now; in etc/passwd when there is no etc/shadow). Nothing is written when the field already
     * holds {@code password}, so repeated runs keep the file's bytes.
     */
    public Outcome setPassword(String name, String password) {
        checkName("user", name);
        checkField(name, "password", password);
        Db passwd = load("etc/passwd", 7);
        int pi = passwd.find(name);
        if (pi < 0) throw new StageforgeException("usermod: user '" + name + "' does not exist in etc/passwd",
                ExitCodes.NOT_FOUND, null);
        long uid = parseLong(passwd.entry(pi), 2);
        Db shadow = loadIfPresent("etc/shadow", 9);
        int si = shadow == null ? -1 : shadow.find(name);
        if (si >= 0) {
            String[] sp = shadow.entry(si);
            if (!sp[1].equals(bytes(password))) {
                sp[1] = bytes(password);
                long days = now / 86400;
                sp[2] = days == 0 ? "" : Long.toString(days);
                shadow.set(si, shadowLine(sp));
            }
        } else {
            String[] pw = passwd.entry(pi);
            if (!pw[1].equals(bytes(password))) {
                pw[1] = bytes(password);
                passwd.set(pi, String.join(":", pw));
            }
        }
        List<Path> written = new ArrayList<>();
        passwd.commit(written);
        if (shadow != null) shadow.commit(written);
        return new Outcome(written.isEmpty() ? Action.UNCHANGED : Action.UPDATED, uid, List.copyOf(written),
                Optional.empty());
    }

    /**
     * The ID {@code useradd} ({@code user}) or {@code groupadd} would give a new account now. System range: as
     * {@link #addGroup(Group)} describes. Normal range (shadow's find_new_[ug]id without {@code -r}): one above the
     * highest ID used in [UID_MIN, UID_MAX] (login.defs, defaults 1000..60000; GID_* for groups), or when that is
     * past the end, the lowest free one.
     */
    public long freeId(boolean user, boolean system) {
        return user ? newId(load("etc/passwd", 7), system, true, "a new user")
                : newId(load("etc/group", 4), system, false, "a new group");
    }

    /** acct-user's pkg_postinst for an existing user: shadow's usermod -c -d -s -g -G [-e "" -U]. */
    private long usermod(User u, Db passwd, Db shadow, Db group, Db gshadow, long gid, List<String> auxNames) {
        int pi = passwd.find(u.name());
        if (pi < 0) throw die("usermod: user '" + u.name() + "' does not exist in " + passwd.rel);
        String[] pw = passwd.entry(pi);
        long uid = parseLong(pw, 2);
        int si = shadow == null ? -1 : shadow.find(u.name());
        String[] sp = si < 0 ? null : shadow.entry(si);
        String[] grepped = shadow == null ? null : shadow.grepName(u.name());
        boolean locked = grepped != null && grepped.length > 7 && grepped[1].startsWith("!") && grepped[7].equals("1");

        boolean cflg = !pw[4].equals(bytes(u.comment()));
        boolean dflg = !pw[5].equals(bytes(u.home()));
        boolean sflg = !pw[6].equals(bytes(u.shell()));
        boolean gflg = parseLong(pw, 3) != gid;
        boolean eflg = locked && sp != null && !sp[7].isEmpty() && parseLongOr(sp[7], -1) != -1;
        if (cflg || dflg || sflg || gflg || locked) {
            pw[4] = bytes(u.comment());
            pw[5] = bytes(u.home());
            pw[6] = bytes(u.shell());
            pw[3] = Long.toString(gid);
            pw[2] = Long.toString(uid);
            if (locked) pw[1] = unlock(pw[1]);
            passwd.set(pi, String.join(":", pw));
        }
        if (sp != null && (eflg || locked)) {
            if (locked) sp[1] = unlock(sp[1]);
            if (eflg) sp[7] = "";
            shadow.set(si, shadowLine(sp));
        }
        for (Db db : Arrays.asList(group, gshadow)) {
            if (db == null) continue;
            for (int i = 0; i < db.lines.size(); i++) {
                String[] f = db.entry(i);
                if (f == null) continue;
                List<String> mem = members(f[3]);
                boolean was = mem.contains(u.name()), is = auxNames.contains(f[0]);
                if (was == is) continue;
                if (was) mem.removeIf(m -> m.equals(u.name()));
                else mem.add(bytes(u.name()));
                f[3] = String.join(",", mem);
                if (db == group) f[2] = Long.toString(parseLong(f, 2));
                db.set(i, String.join(":", f));
            }
        }
        return uid;
    }

    private static String unlock(String pass) {
        return pass.startsWith("!") && pass.length() > 1 ? pass.substring(1) : pass;
    }

    /** putspent(): numbers normalised, -1 (here: empty or unparsable as in the entry) written empty. */
    private static String shadowLine(String[] sp) {
        String[] out = sp.clone();
        for (int k = 2; k <= 8; k++) out[k] = sp[k].isEmpty() ? "" : Long.toString(parseLongOr(sp[k], -1));
        for (int k = 2; k <= 8; k++) if (out[k].equals("-1")) out[k] = "";
        return String.join(":", out);
    }

    private static List<String> members(String field) {
        List<String> out = new ArrayList<>();
        if (!field.isEmpty()) for (String m : field.split(",", -1)) if (!m.isEmpty()) out.add(m);
        return out;
    }

    // ---------------------------------------------------------------- ID search (shadow's find_new_[ug]id)

    private long findNewId(Db db, int field, String minKey, String maxKey, String userMinKey, String what) {
        Map<String, String> defs = loginDefs();
        long min = def(defs, minKey, 101);
        long max = def(defs, maxKey, def(defs, userMinKey, 1000) - 1);
        if (max < min) throw die("invalid login.defs in " + root + ": " + minKey + " " + min + " > " + maxKey + " " + max);
        if (min == 0) min = 1;
        Set<Long> used = new HashSet<>();
        long lowest = max;
        for (int i = 0; i < db.lines.size(); i++) {
            String[] f = db.entry(i);
            if (f == null) continue;
            long id = parseLong(f, field);
            if (id <= lowest && id >= min) lowest = id - 1;
            if (id >= min && id <= max) used.add(id);
        }
        long start = lowest < min ? max : lowest;
        for (long id = start; id >= min; id--) if (usable(id, used)) return id;
        if (start != max) for (long id = max; id >= min; id--) if (usable(id, used)) return id;
        throw die("no free system ID left for " + what + " in " + root);
    }

    private long newId(Db db, boolean system, boolean user, String what) {
        String k = user ? "UID" : "GID";
        if (system) return findNewId(db, 2, "SYS_" + k + "_MIN", "SYS_" + k + "_MAX", k + "_MIN", what);
        Map<String, String> defs = loginDefs();
        long min = def(defs, k + "_MIN", 1000);
        long max = def(defs, k + "_MAX", 60000);
        if (max < min) throw die("invalid login.defs in " + root + ": " + k + "_MIN " + min + " > " + k + "_MAX " + max);
        Set<Long> used = new HashSet<>();
        long highest = -1;
        for (int i = 0; i < db.lines.size(); i++) {
            String[] f = db.entry(i);
            if (f == null) continue;
            long id = parseLong(f, 2);
            if (id >= min && id <= max) {
                used.add(id);
                highest = Math.max(highest, id);
            }
        }
        if (highest < 0 && usable(min, used)) return min;
        for (long id = highest + 1; highest >= 0 && id <= max; id++) if (usable(id, used)) return id;
        for (long id = min; id <= max; id++) if (usable(id, used)) return id;
        throw die("no free " + k + " left for " + what + " in " + root);
    }

    /** A login.defs aging value as useradd stores it: -1 (unset or bad) is an empty field. */
    private static String age(Map<String, String> defs, String key) {
        long v = def(defs, key, -1);
        return v < 0 ? "" : Long.toString(v);
    }

    private static boolean usable(long id, Set<Long> used) {
        return id != 0xFFFF && id != 0xFFFF_FFFFL && !used.contains(id);
    }

    private Map<String, String> loginDefs() {
        Map<String, String> defs = new HashMap<>();
        try {
            String text = RootFiles.readText(RootFiles.resolve(root, "etc/login.defs"));
            if (text == null) return defs;
            for (String line : text.split("\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) continue;
                String[] kv = l.split("[ \t]+", 2);
                if (kv.length == 2) defs.put(kv[0], kv[1].strip().replaceAll("^\"|\"$", ""));
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + root + "/etc/login.defs: " + e.getMessage(), e);
        }
        return defs;
    }

    /** getdef_ulong(): strtoul base 0; a bad value falls back to the default. */
    private static long def(Map<String, String> defs, String key, long dflt) {
        String v = defs.get(key);
        if (v == null) return dflt;
        try {
            if (v.startsWith("0x") || v.startsWith("0X")) return Long.parseLong(v.substring(2), 16);
            if (v.length() > 1 && v.startsWith("0")) return Long.parseLong(v.substring(1), 8);
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    // ---------------------------------------------------------------- lookups

    private long groupId(Db group, String nameOrId, String user) {
        int i = group.find(nameOrId);
        if (i < 0 && nameOrId.matches("[0-9]{1,10}")) i = group.findId(Long.parseLong(nameOrId), 2);
        if (i < 0) throw new StageforgeException("user " + user + ": group '" + nameOrId + "' does not exist in "
                + group.rel + " (merge its acct-group package first)", ExitCodes.NOT_FOUND, null);
        return parseLong(group.entry(i), 2);
    }

    private String groupName(Db group, String nameOrId, String user) {
        int i = group.find(nameOrId);
        if (i < 0 && nameOrId.matches("[0-9]{1,10}")) i = group.findId(Long.parseLong(nameOrId), 2);
        if (i < 0) throw new StageforgeException("user " + user + ": group '" + nameOrId + "' does not exist in "
                + group.rel + " (merge its acct-group package first)", ExitCodes.NOT_FOUND, null);
        return group.entry(i)[0];
    }

    private long userId(Db passwd, String name, String user) {
        int i = passwd.find(name);
        if (i < 0) throw new StageforgeException("user " + user + ": home owner '" + name + "' does not exist",
                ExitCodes.NOT_FOUND, null);
        return parseLong(passwd.entry(i), 2);
    }

    // ---------------------------------------------------------------- files

    private Db load(String rel, int fields) {
        return new Db(rel, fields, false);
    }

    private Db loadIfPresent(String rel, int fields) {
        Db db = new Db(rel, fields, true);
        return db.existed ? db : null;
    }

    /** One account file as shadow's commonio sees it: lines, parsed on demand, unknown lines kept verbatim. */
    private final class Db {
        final String rel;
        final Path path;
        final int fields;
        final boolean existed;
        final byte[] original;
        final List<String> lines = new ArrayList<>();
        final int mode;
        final FileTime mtime;
        boolean changed;

        Db(String rel, int fields, boolean onlyIfPresent) {
            this.rel = rel;
            this.fields = fields;
            this.path = RootFiles.resolve(root, rel);
            try {
                existed = Files.isRegularFile(path);
                if (!existed && Files.exists(path, LinkOption.NOFOLLOW_LINKS))
                    throw new StageforgeException(root + "/" + rel + " is not a regular file");
                original = existed ? Files.readAllBytes(path) : new byte[0];
                mode = existed ? RootFiles.mode(path) : 0644;
                mtime = existed ? Files.getLastModifiedTime(path) : null;
            } catch (IOException e) {
                throw new StageforgeException("cannot read " + root + "/" + rel + ": " + e.getMessage(), e);
            }
            String text = new String(original, StandardCharsets.ISO_8859_1);
            if (!text.isEmpty()) {
                if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
                lines.addAll(Arrays.asList(text.split("\n", -1)));
            }
        }

        /** The fields of line i if it is a valid entry (right field count, numeric IDs), else null. */
        String[] entry(int i) {
            String[] f = lines.get(i).split(":", -1);
            if (f.length != fields || f[0].isEmpty()) return null;
            if (fields == 7 && (parseLongOr(f[2], -1) < 0 || parseLongOr(f[3], -1) < 0)) return null;
            if (rel.equals("etc/group") && parseLongOr(f[2], -1) < 0) return null;
            return f;
        }

        int find(String name) {
            for (int i = 0; i < lines.size(); i++) {
                String[] f = entry(i);
                if (f != null && f[0].equals(name)) return i;
            }
            return -1;
        }

        int findId(long id, int field) {
            for (int i = 0; i < lines.size(); i++) {
                String[] f = entry(i);
                if (f != null && parseLongOr(f[field], -1) == id) return i;
            }
            return -1;
        }

        /** The eclass's {@code grep "^NAME:"}: the first line starting so, split. */
        String[] grepName(String name) {
            for (String l : lines) if (l.startsWith(name + ":")) return l.split(":", -1);
            return null;
        }

        /** The eclass's {@code egetent DB ID}: name of the first line whose third field is ID. */
        String nameWithId(long id) {
            String want = Long.toString(id);
            for (String l : lines) {
                String[] f = l.split(":", -1);
                if (f.length > 3 && f[2].equals(want)) return f[0];
            }
            return null;
        }

        /** Adds an entry at the end, but before the first NIS line ({@code +...} / {@code -...}), as commonio does. */
        void append(String line) {
            int at = lines.size();
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.startsWith("+") || l.startsWith("-")) {
                    at = i;
                    break;
                }
            }
            lines.add(at, line);
            changed = true;
        }

        void set(int i, String line) {
            lines.set(i, line);
            changed = true;
        }

        void commit(List<Path> written) {
            if (!changed) return;
            try {
                RootFiles.ensureDir(path.getParent());
                if (existed) {
                    Path backup = path.resolveSibling(path.getFileName() + "-");
                    RootFiles.writeAtomic(backup, original, mode, mtime);
                    written.add(backup);
                }
                StringBuilder sb = new StringBuilder();
                for (String l : lines) sb.append(l).append('\n');
                RootFiles.writeAtomic(path, sb.toString().getBytes(StandardCharsets.ISO_8859_1), mode, null);
                written.add(path);
            } catch (IOException e) {
                throw new StageforgeException("cannot write " + root + "/" + rel + ": " + e.getMessage(), e);
            }
        }
    }

    // ---------------------------------------------------------------- values

    /** A UTF-8 string in the files' byte-per-char form. */
    private static String bytes(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static long parseLong(String[] f, int k) {
        return parseLongOr(f[k], -1);
    }

    private static long parseLongOr(String s, long dflt) {
        if (s.isEmpty() || s.length() > 19) return dflt;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return (i == 0 && c == '-' && s.equals("-1")) ? -1 : dflt;
        }
        return Long.parseLong(s);
    }

    private static void checkName(String kind, String name) {
        if (name == null || name.isEmpty() || name.length() > 32 || !NAME.matcher(name).matches()
                || name.equals(".") || name.equals("..") || name.matches("[0-9]+"))
            throw new ParseException("account", 0, 0, "invalid " + kind + " name '" + name + "'");
    }

    private static void checkId(String name, long id) {
        if (id < -1 || id > MAX_ID) throw bad(name, "invalid ID " + id);
    }

    private static void checkField(String name, String what, String v) {
        if (v.indexOf(':') >= 0 || v.indexOf('\n') >= 0) throw bad(name, what + " contains ':' or a newline");
    }

    private static ParseException bad(String name, String reason) {
        return new ParseException("account " + name, 0, 0, reason);
    }

    private static int parseMode(String name, String perms) {
        if (!perms.matches("[0-7]{1,4}")) throw bad(name, "home permissions '" + perms + "' are not an octal mode");
        return Integer.parseInt(perms, 8);
    }

    private static long parseId(String name, String id) {
        String s = id.strip();
        if (!s.matches("-?[0-9]{1,10}")) throw bad(name, "ID '" + id + "' is not a number");
        return Long.parseLong(s);
    }

    private static Optional<String> first(DeclareDump env, String a, String b) {
        Optional<String> v = env.scalar(a).filter(s -> !s.isEmpty());
        return v.isPresent() ? v : env.scalar(b).filter(s -> !s.isEmpty());
    }

    private static boolean nonEmpty(DeclareDump env, String var) {
        return env.scalar(var).map(s -> !s.isEmpty()).orElse(false);
    }

    private static String required(String pkg, DeclareDump env, String var) {
        return env.scalar(var).filter(s -> !s.isEmpty()).orElseThrow(() -> missing(pkg, var));
    }

    private static ParseException missing(String pkg, String var) {
        return new ParseException(pkg, 0, 0, "environment has no " + var);
    }

    private static <T> T wrap(String pkg, Supplier<T> s) {
        try {
            return s.get();
        } catch (ParseException e) {
            throw new ParseException(pkg, 0, 0, e.getMessage(), e);
        }
    }

    private StageforgeException die(String msg) {
        return new StageforgeException(msg, ExitCodes.FAILURE, null);
    }
}

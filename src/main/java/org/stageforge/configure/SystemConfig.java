package org.stageforge.configure;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the configuration part sets up in a root. Every item is optional: an empty value or list leaves that part
 * of the root untouched. Values are checked when {@link Configurator#configure} runs (errors name the item).
 *
 * @param init         the init system; empty: detected from the root ({@code sbin/openrc} or
 *                     {@code [usr/]lib/systemd/systemd}), needed only by hostname, keymap and services
 * @param hostname     host name (RFC 1123 labels)
 * @param locales      {@code locale.gen} entries, {@code "en_US.UTF-8 UTF-8"} (name and charmap); a bare
 *                     {@code "en_US.UTF-8"} takes the charmap after the dot
 * @param lang         {@code LANG} for {@code env.d/02locale} (and systemd's {@code locale.conf})
 * @param lcCollate    {@code LC_COLLATE} for the same files
 * @param timezone     a zoneinfo name such as {@code Europe/Berlin}
 * @param keymap       console keymap ({@code us}, {@code de-latin1})
 * @param fstab        the entries of {@code etc/fstab}, in mount order (empty: fstab untouched)
 * @param groups       groups to create
 * @param users        users to create or update
 * @param rootPassword root's password field: a crypt hash, {@code !} (locked) or {@code *} (no password login)
 * @param lockRoot     lock root's password (usermod -L: a {@code !} before the hash)
 * @param services     services to enable, disable or mask, in order
 */
public record SystemConfig(Optional<InitSystem> init, Optional<String> hostname, List<String> locales,
                           Optional<String> lang, Optional<String> lcCollate, Optional<String> timezone,
                           Optional<String> keymap, List<FstabEntry> fstab, List<Group> groups, List<User> users,
                           Optional<String> rootPassword, boolean lockRoot, List<Service> services) {
    public SystemConfig {
        Objects.requireNonNull(init);
        Objects.requireNonNull(hostname);
        Objects.requireNonNull(lang);
        Objects.requireNonNull(lcCollate);
        Objects.requireNonNull(timezone);
        Objects.requireNonNull(keymap);
        Objects.requireNonNull(rootPassword);
        locales = List.copyOf(locales);
        fstab = List.copyOf(fstab);
        groups = List.copyOf(groups);
        users = List.copyOf(users);
        services = List.copyOf(services);
    }

    /** A configuration that changes nothing; start from it with the {@code with*} methods. */
    public static SystemConfig empty() {
        return new SystemConfig(Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(), Optional.empty(), false, List.of());
    }

    public SystemConfig withInit(InitSystem v) {
        return new SystemConfig(Optional.of(v), hostname, locales, lang, lcCollate, timezone, keymap, fstab, groups,
                users, rootPassword, lockRoot, services);
    }

    public SystemConfig withHostname(String v) {
        return new SystemConfig(init, Optional.of(v), locales, lang, lcCollate, timezone, keymap, fstab, groups,
                users, rootPassword, lockRoot, services);
    }

    public SystemConfig withLocales(List<String> v, String langValue, String collate) {
        return new SystemConfig(init, hostname, v, Optional.ofNullable(langValue), Optional.ofNullable(collate),
                timezone, keymap, fstab, groups, users, rootPassword, lockRoot, services);
    }

    public SystemConfig withTimezone(String v) {
        return new SystemConfig(init, hostname, locales, lang, lcCollate, Optional.of(v), keymap, fstab, groups,
                users, rootPassword, lockRoot, services);
    }

    public SystemConfig withKeymap(String v) {
        return new SystemConfig(init, hostname, locales, lang, lcCollate, timezone, Optional.of(v), fstab, groups,
                users, rootPassword, lockRoot, services);
    }

    public SystemConfig withFstab(List<FstabEntry> v) {
        return new SystemConfig(init, hostname, locales, lang, lcCollate, timezone, keymap, v, groups, users,
                rootPassword, lockRoot, services);
    }

    public SystemConfig withAccounts(List<Group> g, List<User> u) {
        return new SystemConfig(init, hostname, locales, lang, lcCollate, timezone, keymap, fstab, g, u,
                rootPassword, lockRoot, services);
    }

    public SystemConfig withRoot(String password, boolean lock) {
        return new SystemConfig(init, hostname, locales, lang, lcCollate, timezone, keymap, fstab, groups, users,
                Optional.ofNullable(password), lock, services);
    }

    public SystemConfig withServices(List<Service> v) {
        return new SystemConfig(init, hostname, locales, lang, lcCollate, timezone, keymap, fstab, groups, users,
                rootPassword, lockRoot, v);
    }

    public enum InitSystem { OPENRC, SYSTEMD }

    /** One fstab line (fstab(5)); whitespace and backslashes in {@code spec}/{@code file} are written escaped. */
    public record FstabEntry(String spec, String file, String vfstype, String options, int dump, int pass) {}

    /** A group; {@code gid} -1: the next free one in the normal range, as groupadd picks it. */
    public record Group(String name, long gid) {}

    /**
     * A user.
     *
     * @param uid            -1: the next free one in the normal range (login.defs UID_MIN..UID_MAX)
     * @param primaryGroup   null: an existing user's, else a group named like the user (created with GID = UID
     *                       when free, as useradd's USERGROUPS_ENAB does)
     * @param groups         supplementary groups (must exist or be configured), exactly these (usermod -G);
     *                       empty: an existing user keeps its memberships
     * @param comment        GECOS field; null: an existing user's, else empty
     * @param home           null: an existing user's, else {@code /home/NAME}
     * @param shell          null: an existing user's, else {@code /bin/bash}
     * @param password       crypt hash ({@code $6$…}, {@code $y$…}, …), {@code !} or {@code *}; null: locked
     *                       without password ({@code !}) for a new user, unchanged for an existing one
     * @param locked         a {@code !} before the hash (usermod -L)
     * @param authorizedKeys lines of {@code ~/.ssh/authorized_keys} (empty: no file written)
     * @param createHome     create the home directory with a copy of {@code etc/skel} (useradd -m)
     */
    public record User(String name, long uid, String primaryGroup, List<String> groups, String comment, String home,
                       String shell, String password, boolean locked, List<String> authorizedKeys,
                       boolean createHome) {
        public User {
            Objects.requireNonNull(name);
            groups = List.copyOf(groups);
            authorizedKeys = List.copyOf(authorizedKeys);
        }

        /** A user with defaults: next free UID, own group, /home/NAME, bash, locked password, home created. */
        public static User of(String name) {
            return new User(name, -1, null, List.of(), null, null, null, null, false, List.of(), true);
        }
    }

    /**
     * A service operation. OpenRC: {@code runlevel} (null: {@code default}) with ENABLE or DISABLE. systemd:
     * {@code name} is a unit name (a bare name gets {@code .service}); {@code runlevel} must be null.
     */
    public record Service(String name, String runlevel, Action action) {
        public enum Action { ENABLE, DISABLE, MASK }

        public static Service enable(String name) {
            return new Service(name, null, Action.ENABLE);
        }
    }
}

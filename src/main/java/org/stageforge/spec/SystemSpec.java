package org.stageforge.spec;

import java.util.List;

/**
 * The {@code [system]} section: configuration applied to the root by the configure part.
 *
 * @param init         openrc or systemd; null: implied by the services list, else detected from the root
 * @param rootPassword a crypt(3) hash for root, or null
 * @param rootLocked   lock root's password ({@code !} in shadow)
 */
public record SystemSpec(String init, String hostname, List<String> locales, String lang, String lcCollate, String timezone, String keymap, List<Fstab> fstab,
                         List<User> users, List<Group> groups, String rootPassword, boolean rootLocked,
                         List<String> openrc, List<String> systemd) {

    public SystemSpec {
        locales = List.copyOf(locales);
        fstab = List.copyOf(fstab);
        users = List.copyOf(users);
        groups = List.copyOf(groups);
        openrc = List.copyOf(openrc);
        systemd = List.copyOf(systemd);
    }

    public static final SystemSpec EMPTY = new SystemSpec(null, null, List.of(), null, null, null, null, List.of(), List.of(), List.of(),
            null, false, List.of(), List.of());

    /** One fstab line. */
    public record Fstab(String device, String mountpoint, String type, String options, int dump, int pass) {}

    /** A user account; {@code password} is a crypt(3) hash or null (locked). uid/gid null: allocated. */
    public record User(String name, Integer uid, String group, List<String> groups, String home, String shell,
                       String comment, String password, List<String> authorizedKeys) {
        public User {
            groups = List.copyOf(groups);
            authorizedKeys = List.copyOf(authorizedKeys);
        }
    }

    /** A group; gid null: allocated. */
    public record Group(String name, Integer gid) {}
}

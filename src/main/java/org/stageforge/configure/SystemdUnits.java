package org.stageforge.configure;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code systemctl --root=ROOT enable|disable|mask} done natively: unit files are found in the unit search path and
 * their {@code [Install]} section is turned into symlinks under {@code etc/systemd/system}, pointing at the unit
 * file's absolute path in the target (as systemctl does): {@code WantedBy=T} gives {@code T.wants/UNIT},
 * {@code RequiredBy=} {@code T.requires/}, {@code UpheldBy=} {@code T.upholds/}, {@code Alias=A} gives {@code A};
 * {@code Also=} units are handled the same way. Templates need an instance (in the name or DefaultInstance=); an
 * instance's links point at the template file. Specifiers %i %I %p %P %n %N %% are expanded in [Install] values.
 * Not done: presets, drop-in directories ({@code UNIT.d/*.conf}) and user units.
 */
final class SystemdUnits {
    static final List<String> SEARCH_PATH = List.of("etc/systemd/system", "run/systemd/system",
            "usr/local/lib/systemd/system", "usr/lib/systemd/system", "lib/systemd/system");
    private static final String CONFIG = "etc/systemd/system";
    private static final Pattern UNIT = Pattern.compile(
            "([A-Za-z0-9:_.\\\\-]+?)(@([A-Za-z0-9:_.\\\\-]*))?\\.(service|socket|target|timer|path|mount|automount|swap|slice|device)");
    private static final Pattern SPECIFIER = Pattern.compile("%(.)");

    private final TargetRoot root;
    private final List<String> warnings;

    SystemdUnits(TargetRoot root, List<String> warnings) {
        this.root = root;
        this.warnings = warnings;
    }

    /** A unit name as given; a name without a type gets {@code .service}. */
    static String unitName(String what, String name) {
        String n = name.contains(".") && UNIT.matcher(name).matches() ? name : name + ".service";
        if (n.length() > 255 || !UNIT.matcher(n).matches())
            throw new StageforgeException(what + ": invalid unit name '" + name + "'", ExitCodes.BAD_INPUT, null);
        return n;
    }

    void enable(String name) {
        for (Link l : links(unitName("service " + name, name))) root.symlink(l.path, l.target);
    }

    void disable(String name) {
        for (Link l : links(unitName("service " + name, name)))
            if (l.target.equals(root.linkTarget(l.path))) root.removeSymlink(l.path);
    }

    void mask(String name) {
        String n = unitName("service " + name, name);
        String rel = CONFIG + "/" + n;
        Path p = root.entry(rel);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(p))
            throw new StageforgeException("service " + n + ": cannot mask, " + rel + " is a unit file");
        root.symlink(rel, "/dev/null");
    }

    private record Link(String path, String target) {}

    private record Found(String dir, String file, UnitFile install) {}

    /** The symlinks enabling {@code name} and its Also= units, in order, each once. */
    private List<Link> links(String name) {
        Map<String, Link> out = new LinkedHashMap<>();
        collect(name, out, new HashSet<>());
        return new ArrayList<>(out.values());
    }

    private void collect(String name, Map<String, Link> out, Set<String> seen) {
        if (!seen.add(name)) return;
        Matcher m = UNIT.matcher(name);
        if (!m.matches()) throw new StageforgeException("invalid unit name '" + name + "'", ExitCodes.BAD_INPUT, null);
        String prefix = m.group(1);
        String instance = m.group(3);
        String type = m.group(4);
        Found f = find(name);
        if (f == null && instance != null && !instance.isEmpty()) f = find(prefix + "@." + type);
        if (f == null) throw new StageforgeException("service " + name + ": no unit file " + name + " in "
                + String.join(", ", SEARCH_PATH) + " of the root", ExitCodes.NOT_FOUND, null);
        if (!f.file.equals(name) && !f.file.equals(prefix + "@." + type)) {
            // reached through an alias symlink: systemctl enables the real unit under its own name
            if (!seen.add(f.file)) return;
            m = UNIT.matcher(f.file);
            m.matches();
            boolean template = "".equals(m.group(3));
            prefix = m.group(1);
            type = m.group(4);
            instance = template ? (instance == null ? "" : instance) : null;
            name = template && !instance.isEmpty() ? prefix + "@" + instance + "." + type : f.file;
        }
        UnitFile u = f.install;
        if (instance != null && instance.isEmpty()) {
            List<String> def = u.get("DefaultInstance");
            if (def.isEmpty()) {
                if (u.hasInstallInfo())
                    throw new StageforgeException("service " + name + ": a template unit needs an instance "
                            + "(name it like " + prefix + "@NAME." + type + ") or DefaultInstance=");
            } else {
                instance = def.get(0);
                if (!UNIT.matcher(prefix + "@" + instance + "." + type).matches())
                    throw new StageforgeException("service " + name + ": invalid DefaultInstance=" + instance,
                            ExitCodes.BAD_INPUT, null);
            }
        }
        if (!u.hasInstallInfo()) {
            warnings.add("unit " + name + " has no [Install] section entries (static unit): nothing to enable");
            return;
        }
        String full = instance == null ? name : prefix + "@" + instance + "." + type;
        String target = "/" + f.dir + "/" + f.file;
        String[] deps = {"WantedBy", ".wants", "RequiredBy", ".requires", "UpheldBy", ".upholds"};
        for (int k = 0; k < deps.length; k += 2) {
            for (String v : u.get(deps[k])) {
                String t = checked(name, deps[k], expand(name, deps[k], v, prefix, instance, full, type));
                Link l = new Link(CONFIG + "/" + t + deps[k + 1] + "/" + full, target);
                out.putIfAbsent(l.path, l);
            }
        }
        for (String v : u.get("Alias")) {
            String a = checked(name, "Alias", expand(name, "Alias", v, prefix, instance, full, type));
            Matcher am = UNIT.matcher(a);
            am.matches();
            if (!am.group(4).equals(type))
                throw new StageforgeException("service " + name + ": Alias=" + a + " has another unit type",
                        ExitCodes.BAD_INPUT, null);
            if (instance != null && "".equals(am.group(3))) a = am.group(1) + "@" + instance + "." + type;
            if (a.equals(full)) continue;
            Link l = new Link(CONFIG + "/" + a, target);
            out.putIfAbsent(l.path, l);
        }
        for (String v : u.get("Also"))
            collect(checked(name, "Also", expand(name, "Also", v, prefix, instance, full, type)), out, seen);
    }

    private static String checked(String unit, String key, String value) {
        if (value.contains("/") || !UNIT.matcher(value).matches())
            throw new StageforgeException("service " + unit + ": invalid " + key + "=" + value + " in [Install]",
                    ExitCodes.BAD_INPUT, null);
        return value;
    }

    private static String expand(String unit, String key, String v, String prefix, String instance, String full,
                                 String type) {
        Matcher m = SPECIFIER.matcher(v);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String r = switch (m.group(1)) {
                case "i", "I" -> instance == null ? "" : instance;
                case "p", "P" -> prefix;
                case "n" -> full;
                case "N" -> full.substring(0, full.length() - type.length() - 1);
                case "%" -> "%";
                default -> throw new StageforgeException("service " + unit + ": unsupported specifier %"
                        + m.group(1) + " in " + key + "=" + v, ExitCodes.BAD_INPUT, null);
            };
            m.appendReplacement(sb, Matcher.quoteReplacement(r));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * The unit file {@code name} in the first search-path directory that has it. A symlink there to another unit
     * name (an alias) leads to that unit; one to /dev/null means masked (an error).
     */
    private Found find(String name) {
        for (int hops = 0; hops < 8; hops++) {
            String next = null;
            for (String dir : SEARCH_PATH) {
                String rel = dir + "/" + name;
                String link = root.linkTarget(rel);
                if (link != null) {
                    if (link.equals("/dev/null"))
                        throw new StageforgeException("service " + name + ": the unit is masked (" + rel
                                + " -> /dev/null)");
                    String base = Path.of(link).getFileName().toString();
                    if (!base.equals(name)) {
                        next = base;
                        break;
                    }
                    if (!root.isFile(rel)) continue;
                    return new Found(dir, name, UnitFile.parse(rel, root.read(rel)));
                }
                if (root.isFile(rel)) return new Found(dir, name, UnitFile.parse(rel, root.read(rel)));
            }
            if (next == null) return null;
            name = unitName("alias", next);
        }
        throw new StageforgeException("service " + name + ": too many unit aliases");
    }
}

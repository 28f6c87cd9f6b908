package org.stageforge.spec;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;
import org.stageforge.config.ConfigFiles;
import org.stageforge.config.ShellConfig;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;
import org.stageforge.profile.Entry;
import org.stageforge.profile.MaskReason;
import org.stageforge.profile.PortageConfig;
import org.stageforge.profile.Profile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mix-ins: profile fragments layered on top of the stage's profile (Funtoo's mix-ins proposal). Each becomes a
 * profile node directory ({@code package.mask}, {@code use.mask}, {@code make.defaults}, ...) listed after the base
 * profile in the stage profile's {@code parent} file. A shipped mix-in is named ({@link #SHIPPED}); any other name is
 * a directory relative to the spec.
 *
 * <p>After evaluation {@link #verify} checks that each mix-in's masks are still in force: a later profile node, the
 * user's {@code package.unmask}, {@code etc/portage/profile} or a make.conf that overrides INSTALL_MASK can undo
 * them silently, which for {@code no-systemd} would put systemd back into the stage.
 */
public final class Mixins {
    /** Mix-ins shipped with stageforge. */
    public static final List<String> SHIPPED = List.of("no-systemd");
    private static final List<String> FILES = List.of("eapi", "make.defaults", "package.mask", "use.mask");

    private Mixins() {}

    static boolean exists(String name, Path specDir) {
        return SHIPPED.contains(name) || (!name.isBlank() && Files.isDirectory(specDir.resolve(name)));
    }

    /** Writes mix-in {@code name} as a profile node under {@code target} and returns the node directory. */
    public static Path materialize(String name, Path specDir, Path target) {
        Path node = target.resolve(SHIPPED.contains(name) ? name : "local-" + name.replaceAll("[^A-Za-z0-9._-]", "_"));
        try {
            Files.createDirectories(node);
            if (SHIPPED.contains(name)) {
                for (String f : FILES) {
                    try (InputStream in = Mixins.class.getResourceAsStream("mixins/" + name + "/" + f)) {
                        if (in != null) Files.write(node.resolve(f), in.readAllBytes());
                    }
                }
            } else {
                Path src = specDir.resolve(name);
                try (var s = Files.list(src)) {
                    for (Path p : s.sorted().toList()) {
                        if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            Files.copy(p, node.resolve(p.getFileName().toString()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return node;
    }

    /**
     * Checks that every mask of every mix-in node landed in {@code config}; throws a one-line error naming the
     * mix-in, the mask and what undid it. {@code candidates} are the binhosts' packages (each mask is also checked
     * against every version actually available).
     */
    public static void verify(PortageConfig config, Map<String, Path> nodes, List<PackagesIndex> candidates) {
        for (Map.Entry<String, Path> m : nodes.entrySet()) {
            String mixin = m.getKey();
            Path node = m.getValue();
            for (ConfigFiles.Line l : ConfigFiles.lines(node.resolve("package.mask"), false)) {
                String text = l.text().trim();
                if (text.startsWith("-")) continue;
                Atom atom = Atom.parse(text);
                List<Cpv> probes = new ArrayList<>();
                probes.add(Cpv.parse(atom.cp() + "-0"));
                for (PackagesIndex idx : candidates) {
                    for (PackagesEntry e : idx.entries()) {
                        Cpv c = Cpv.parse(e.cpv());
                        if (atom.matchesCpv(c)) probes.add(c);
                    }
                }
                for (Cpv c : probes) {
                    MaskReason r = config.maskReason(c, "0", null);
                    if (r == null) {
                        throw failed(mixin, "package.mask " + text, "it does not mask " + c + ": " + undoneBy(config, node, c, text));
                    }
                }
            }
            for (ConfigFiles.Line l : ConfigFiles.lines(node.resolve("use.mask"), false)) {
                String flag = l.text().trim();
                if (flag.startsWith("-")) continue;
                if (!config.useMask().contains(flag)) {
                    throw failed(mixin, "use.mask " + flag, "USE=" + flag + " is not masked: " + useUndoneBy(config, node, flag));
                }
                for (PackagesIndex idx : candidates) {
                    for (PackagesEntry e : idx.entries()) {
                        Cpv c = Cpv.parse(e.cpv());
                        if (!config.useMask(c, e.slot(), e.repo().orElse(null), e.keywords()).contains(flag)) {
                            throw failed(mixin, "use.mask " + flag, "USE=" + flag + " is unmasked for " + c
                                    + " (package.use.mask or package.use.force in a later node)");
                        }
                    }
                }
            }
            Map<String, String> defaults = ShellConfig.parse(node.resolve("make.defaults"), new HashMap<>(), false, false);
            if (defaults != null && defaults.containsKey("INSTALL_MASK")) {
                List<String> effective = List.of(config.getOrDefault("INSTALL_MASK", "").trim().split("\\s+"));
                for (String token : defaults.get("INSTALL_MASK").trim().split("\\s+")) {
                    if (token.isEmpty() || token.startsWith("-")) continue;
                    int on = effective.lastIndexOf(token);
                    int off = effective.lastIndexOf("-" + token);
                    if (on < 0 || off > on) {
                        throw failed(mixin, "INSTALL_MASK " + token, (on < 0
                                ? "INSTALL_MASK is '" + String.join(" ", effective).trim() + "' (set without ${INSTALL_MASK} by make.conf or a later make.defaults)"
                                : "a later '-" + token + "' unmasks it"));
                    }
                }
            }
        }
    }

    private static StageforgeException failed(String mixin, String mask, String why) {
        return new StageforgeException("mix-in '" + mixin + "': " + mask + " did not land: " + why, ExitCodes.BAD_INPUT, null);
    }

    /** The profile nodes evaluated after the mix-in's node (only those can undo its masks). */
    private static List<Profile.NodeData> after(PortageConfig config, Path node) {
        List<Profile.NodeData> nodes = config.profile().nodes();
        Path real = realPath(node);
        for (int i = 0; i < nodes.size(); i++) {
            if (realPath(nodes.get(i).node().location()).equals(real)) return nodes.subList(i + 1, nodes.size());
        }
        return nodes;
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static String undoneBy(PortageConfig config, Path node, Cpv c, String text) {
        for (Entry e : config.packageUnmask()) {
            try {
                if (Atom.parse(e.value()).matchesCpv(c)) return "package.unmask '" + e.value() + "' at " + e.origin();
            } catch (RuntimeException ignored) {
                // invalid entries were already reported by the profile loader
            }
        }
        for (Profile.NodeData n : after(config, node)) {
            for (Entry e : n.packageMask()) {
                if (e.value().equals("-" + text)) return "'" + e.value() + "' at " + e.origin();
            }
        }
        return "removed by a later profile node";
    }

    private static String useUndoneBy(PortageConfig config, Path node, String flag) {
        for (Profile.NodeData n : after(config, node)) {
            for (Entry e : n.useMask()) {
                if (e.value().equals("-" + flag)) return "'-" + flag + "' at " + e.origin();
            }
        }
        return "removed by a later use.mask";
    }
}

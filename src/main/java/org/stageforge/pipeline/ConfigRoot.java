package org.stageforge.pipeline;

import org.stageforge.config.ReposConf;
import org.stageforge.spec.Mixins;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Materializes the spec as a Portage config root ({@code etc/portage/make.conf}, {@code make.profile},
 * {@code repos.conf}, {@code package.*}) so the same directory drives stageforge and could drive Portage. With
 * mix-ins, {@code make.profile} points at a stage profile node whose {@code parent} lists the base profile and then
 * each mix-in node, in spec order.
 */
final class ConfigRoot {
    private ConfigRoot() {}

    /** Writes the config root and returns the mix-in nodes by name. */
    static Map<String, Path> write(StageSpec spec, Path repoDir, List<Overlays.Entry> overlays, Path cfgRoot) throws IOException {
        org.stageforge.util.Dirs.deleteTree(cfgRoot);
        Path etc = cfgRoot.resolve("etc/portage");
        Files.createDirectories(etc);
        StringBuilder mc = new StringBuilder("# written by stageforge from " + spec.file().getFileName() + "\n");
        mc.append(org.stageforge.config.MakeConfWriter.assignments(spec.makeConf()));
        write(etc.resolve("make.conf"), mc.toString());
        String name = spec.repo().name();
        List<ReposConf.Section> sections = new ArrayList<>();
        sections.add(new ReposConf.Section(name, repoDir.toAbsolutePath().toString(), null));
        for (Overlays.Entry o : overlays) sections.add(o.section(false));
        write(etc.resolve("repos.conf/stageforge.conf"), ReposConf.format(name, sections));
        lines(etc.resolve("package.use/stageforge"), spec.packageUse());
        lines(etc.resolve("package.accept_keywords/stageforge"), spec.acceptKeywords());
        lines(etc.resolve("package.mask/stageforge"), spec.packageMask());
        lines(etc.resolve("package.unmask/stageforge"), spec.packageUnmask());
        lines(etc.resolve("package.license/stageforge"), spec.packageLicense());
        lines(etc.resolve("profile/package.provided"), spec.packageProvided());
        Path base = repoDir.toAbsolutePath().resolve("profiles").resolve(spec.profile()).normalize();
        if (!Files.isDirectory(base)) {
            throw new org.stageforge.StageforgeException("profile '" + spec.profile() + "' not found in " + repoDir
                    + org.stageforge.util.Suggest.didYouMeanPath(spec.profile(), org.stageforge.profile.ProfileList.of(repoDir)),
                    org.stageforge.ExitCodes.NOT_FOUND, null);
        }
        Map<String, Path> nodes = new LinkedHashMap<>();
        Path profile = base;
        if (!spec.mixins().isEmpty()) {
            Path stage = cfgRoot.resolve("stage-profile");
            StringBuilder parent = new StringBuilder(base + "\n");
            for (String m : spec.mixins()) {
                Path node = Mixins.materialize(m, spec.dir(), cfgRoot.resolve("mixins"));
                nodes.put(m, node);
                parent.append(node.toAbsolutePath()).append('\n');
            }
            write(stage.resolve("parent"), parent.toString());
            write(stage.resolve("eapi"), "8\n");
            profile = stage;
        }
        Files.createSymbolicLink(etc.resolve("make.profile"), profile.toAbsolutePath());
        return nodes;
    }

    private static void lines(Path f, List<String> l) throws IOException {
        if (!l.isEmpty()) write(f, String.join("\n", l) + "\n");
    }

    private static void write(Path f, String s) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, s, StandardCharsets.UTF_8);
    }
}

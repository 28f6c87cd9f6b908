package org.stageforge.pipeline;

import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The cleanup part: always empties {@code tmp}, {@code var/tmp}, {@code var/cache} (except {@code var/cache/edb},
 * Portage's counter), {@code var/log/portage} and {@code var/log/emerge*.log}; then removes the spec's
 * {@code paths} (globs: {@code *} within a name, {@code **} across directories); {@code minimal} also removes
 * documentation ({@code usr/share/doc}, {@code man}, {@code info}, {@code gtk-doc}), translations
 * ({@code usr/share/locale/*} except {@code locale.alias}) and static libraries ({@code *.a} in {@code lib*},
 * {@code usr/lib*}); {@code headers} removes {@code usr/include}. Removal never follows a symbolic link, and the
 * VDB is left as it is (as catalyst's cleanup does).
 */
final class Cleanup {
    private Cleanup() {}

    static String run(Path root, StageSpec.Cleanup c, Reporter rep) throws IOException {
        List<String> globs = new ArrayList<>(List.of("/tmp/*", "/var/tmp/*", "/var/log/portage", "/var/log/emerge*.log"));
        globs.add("/var/cache/*");
        globs.addAll(c.paths());
        if (c.minimal()) {
            globs.addAll(List.of("/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/share/gtk-doc",
                    "/usr/share/locale/*", "/lib*/**.a", "/usr/lib*/**.a"));
        }
        if (c.headers()) globs.add("/usr/include");
        List<PathMatcher> matchers = new ArrayList<>();
        for (String g : globs) matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
        PathMatcher keep = FileSystems.getDefault().getPathMatcher("glob:{/var/cache/edb,/usr/share/locale/locale.alias}");
        List<String> removed = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                if (d.equals(root)) return FileVisitResult.CONTINUE;
                Path rel = Path.of("/").resolve(root.relativize(d).toString());
                if (keep.matches(rel)) return FileVisitResult.SKIP_SUBTREE;
                if (matches(rel)) {
                    org.stageforge.util.Dirs.deleteTree(d);
                    removed.add(rel.toString());
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Path rel = Path.of("/").resolve(root.relativize(f).toString());
                if (!keep.matches(rel) && matches(rel)) {
                    Files.delete(f);
                    removed.add(rel.toString());
                }
                return FileVisitResult.CONTINUE;
            }

            private boolean matches(Path rel) {
                for (PathMatcher m : matchers) if (m.matches(rel)) return true;
                return false;
            }
        });
        for (String r : removed) rep.action("remove", r);
        java.util.Collections.sort(removed);
        return Build.sha256(String.join("\n", removed));
    }

}

package org.stageforge.index;

import org.stageforge.util.Dirs;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A repository's {@code metadata/md5-cache} directory: one file per {@code CAT/PF}. */
public record Md5Cache(Path dir) {

    /** The md5-cache of the repository at {@code repoRoot}. */
    public static Md5Cache ofRepository(Path repoRoot) {
        return new Md5Cache(repoRoot.resolve("metadata").resolve("md5-cache"));
    }

    /** Every entry, sorted by category and PF. Files whose names are not valid are refused. */
    public List<Md5CacheEntry> entries() {
        List<Md5CacheEntry> out = new ArrayList<>();
        for (Path cat : Dirs.sortedChildren(dir)) {
            if (!Files.isDirectory(cat)) continue;
            for (Path f : Dirs.sortedChildren(cat)) {
                String name = f.getFileName().toString();
                // Portage writes caches through temporary files; those are not entries
                if (name.startsWith(".") || !Files.isRegularFile(f)) continue;
                out.add(read(cat.getFileName() + "/" + name, f));
            }
        }
        return out;
    }

    /** The entry for "category/PF", if present. */
    public Optional<Md5CacheEntry> get(String cpv) {
        int slash = cpv.indexOf('/');
        if (slash < 0 || !PackagesIndex.safeName(cpv.substring(0, slash)) || !PackagesIndex.safeName(cpv.substring(slash + 1))) {
            throw ParseException.at("CPV", cpv, 0, "expected category/PF");
        }
        Path f = dir.resolve(cpv.substring(0, slash)).resolve(cpv.substring(slash + 1));
        return Files.isRegularFile(f) ? Optional.of(read(cpv, f)) : Optional.empty();
    }

    private static Md5CacheEntry read(String cpv, Path f) {
        try {
            return Md5CacheEntry.parse(f.toString(), cpv, new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}

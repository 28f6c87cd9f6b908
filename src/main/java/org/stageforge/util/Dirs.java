package org.stageforge.util;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Directory listings in a stable order, so everything built from them is deterministic. */
public final class Dirs {
    private Dirs() {}

    /** The entries of {@code dir} sorted by name; empty when it is not a directory. */
    public static List<Path> sortedChildren(Path dir) {
        List<Path> l = new ArrayList<>();
        if (!Files.isDirectory(dir)) return l;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(l::add);
        } catch (IOException e) {
            throw new StageforgeException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        l.sort(null);
        return l;
    }
}

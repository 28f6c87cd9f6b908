package org.stageforge.vdb;

import org.stageforge.StageforgeException;
import org.stageforge.index.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Portage's selected-package files: {@code var/lib/portage/world} (atoms) and
 * {@code var/lib/portage/world_sets} (set names such as {@code @kde}). Portage writes them sorted,
 * one entry per line, each line newline-terminated (an empty selection is an empty file).
 *
 * @param atoms the world atoms, sorted and unique
 * @param sets  the world sets, sorted and unique
 */
public record WorldFile(List<String> atoms, List<String> sets) {

    public static final String WORLD = "var/lib/portage/world";
    public static final String WORLD_SETS = "var/lib/portage/world_sets";

    public WorldFile {
        atoms = List.copyOf(new TreeSet<>(atoms));
        sets = List.copyOf(new TreeSet<>(sets));
        for (String s : atoms) check(s);
        for (String s : sets) check(s);
    }

    private static void check(String entry) {
        if (entry.isEmpty() || entry.chars().anyMatch(c -> Character.isWhitespace(c) || c < 0x20)) {
            throw new IllegalArgumentException("invalid world entry '" + entry + "'");
        }
    }

    /** Reads both files of a root (missing files are empty). */
    public static WorldFile read(Path root) {
        return new WorldFile(readList(root.resolve(WORLD)), readList(root.resolve(WORLD_SETS)));
    }

    /**
     * Entries of one file as Portage reads it: one per line, surrounding whitespace, blank lines
     * and '#' comment lines ignored.
     */
    public static List<String> readList(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes both files into a root, atomically each. */
    public void write(Path root) {
        AtomicFiles.directoryUnder(root, Path.of(WORLD).getParent().toString());
        AtomicFiles.write(root.resolve(WORLD), render(atoms));
        AtomicFiles.write(root.resolve(WORLD_SETS), render(sets));
    }

    /** The file content Portage writes for these entries. */
    public static byte[] render(Collection<String> entries) {
        StringBuilder sb = new StringBuilder();
        for (String e : new TreeSet<>(entries)) sb.append(e).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public WorldFile withAtom(String atom) {
        List<String> l = new java.util.ArrayList<>(atoms);
        l.add(atom);
        return new WorldFile(l, sets);
    }
}

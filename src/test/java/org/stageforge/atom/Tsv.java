package org.stageforge.atom;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the tab-separated fixture corpora: '#' lines and blank lines are skipped. */
record Tsv(int line, String[] cols) {
    static List<Tsv> read(Path file) {
        List<Tsv> rows = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.isEmpty() || l.startsWith("#")) continue;
                rows.add(new Tsv(i + 1, l.split("\t", -1)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    String where() {
        return "line " + line + ": " + String.join(" | ", cols);
    }
}

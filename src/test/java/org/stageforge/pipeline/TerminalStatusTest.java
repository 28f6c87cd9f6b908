package org.stageforge.pipeline;

import me.tongfei.progressbar.ProgressBarConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Progress bars never overwrite printed lines: what a terminal shows after the output is replayed on it. */
class TerminalStatusTest {

    /** The screen of a terminal that received {@code s}: CR, LF (as CR LF), ESC[K, ESC[1A; colours ignored. */
    static List<String> screen(String s) {
        List<StringBuilder> rows = new ArrayList<>(List.of(new StringBuilder()));
        int row = 0;
        int col = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                col = 0;
            } else if (c == '\n') {
                row++;
                col = 0;
                if (row == rows.size()) rows.add(new StringBuilder());
            } else if (c == '\033' && i + 1 < s.length() && s.charAt(i + 1) == '[') {
                int j = i + 2;
                while (!Character.isLetter(s.charAt(j))) j++;
                String arg = s.substring(i + 2, j);
                switch (s.charAt(j)) {
                    case 'K' -> rows.get(row).setLength(Math.min(col, rows.get(row).length()));
                    case 'A' -> row = Math.max(0, row - (arg.isEmpty() ? 1 : Integer.parseInt(arg)));
                    case 'm' -> { }
                    default -> throw new AssertionError("unexpected escape " + s.substring(i, j + 1));
                }
                i = j;
            } else {
                StringBuilder r = rows.get(row);
                while (r.length() < col) r.append(' ');
                if (col < r.length()) r.setCharAt(col, c);
                else r.append(c);
                col++;
            }
        }
        List<String> l = new ArrayList<>();
        for (StringBuilder r : rows) l.add(r.toString());
        while (!l.isEmpty() && l.get(l.size() - 1).isEmpty()) l.remove(l.size() - 1);
        return l;
    }

    @Test
    void printedLinesStayAboveTheBars() {
        StringWriter w = new StringWriter();
        TerminalStatus status = new TerminalStatus(new PrintWriter(w), 40);
        ProgressBarConsumer build = status.consumer();
        ProgressBarConsumer install = status.consumer();
        assertThat(build.getMaxRenderedLength()).isEqualTo(40);
        build.accept("build  10% [=         ] fetch");
        status.println("warning: a rather long line that is longer than the bars");
        install.accept("install 1/3");
        build.accept("build  50% [=====     ] install");
        assertThat(screen(w.toString())).containsExactly("warning: a rather long line that is longer than the bars",
                "build  50% [=====     ] install", "install 1/3");
        status.println("x");
        install.accept("install 3/3");
        install.close();
        build.accept("build 100% [==========] publish");
        status.println("/out/stage.tar.zst");
        build.close();
        assertThat(screen(w.toString())).containsExactly("warning: a rather long line that is longer than the bars",
                "x", "install 3/3", "/out/stage.tar.zst", "build 100% [==========] publish");
    }

    @Test
    void theReportersBarsAndMessagesShareTheScreen(@TempDir Path tmp) throws Exception {
        StringWriter w = new StringWriter();
        try (Reporter rep = new Reporter(new PrintWriter(w), Reporter.Mode.NORMAL, tmp, true, true, Part.values().length)) {
            rep.partStart(Part.FETCH);
            // the library draws on its own timer: wait for the first drawing so the message lands between drawings
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!w.toString().contains("fetch") && System.nanoTime() < deadline) Thread.sleep(20);
            rep.warning("first warning");
            rep.partEnd(Part.FETCH, "done", 5);
            rep.partStart(Part.INSTALL);
            try (Reporter.Packages p = rep.packages("install", 2)) {
                p.step("sys-apps/a-1");
                rep.warning("second warning");
                p.step("sys-apps/b-1");
                assertThat(rep.current()).isEqualTo("install, after sys-apps/b-1");
            }
            rep.partEnd(Part.INSTALL, "done", 5);
        }
        List<String> screen = screen(w.toString());
        assertThat(screen).contains("warning: first warning", "warning: second warning");
        assertThat(screen.get(screen.size() - 1)).startsWith("build").contains("2/" + Part.values().length);
        assertThat(screen.stream().filter(l -> l.startsWith("install")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains("2/2"));
        // NO_COLOR: ASCII bars, no colour escapes
        assertThat(w.toString()).doesNotContain("\033[0m", "\033[3").doesNotContain("█");
    }

    @Test
    void withoutATerminalThereAreNoBarsNorEscapes(@TempDir Path tmp) {
        StringWriter w = new StringWriter();
        try (Reporter rep = new Reporter(new PrintWriter(w), Reporter.Mode.NORMAL, tmp, false, false, Part.values().length)) {
            rep.partStart(Part.FETCH);
            rep.warning("w");
            rep.partEnd(Part.FETCH, "done", 1500);
        }
        assertThat(w.toString()).isEqualTo("warning: w\nfetch     done      1.50s\n");
    }
}

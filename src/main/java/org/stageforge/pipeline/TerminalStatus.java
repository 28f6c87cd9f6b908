package org.stageforge.pipeline;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The progress bars of a terminal, kept below everything printed: a line printed while bars are shown erases them,
 * goes out on its own line, and the bars are drawn again under it. The library's own consumers redraw their line
 * in place with carriage returns and cursor movement, which overwrote lines printed in between (and each other).
 * One writer and one lock order bar updates (from the library's timer thread) and printed lines.
 */
final class TerminalStatus {
    private static final String CLEAR_LINE = "\r\033[K";
    private static final String UP = "\033[1A";

    private final PrintWriter out;
    private final int width;
    /** Each open bar's latest rendering, in the order the bars were opened. */
    private final Map<Object, String> bars = new LinkedHashMap<>();
    /** How many status lines are on the screen now (the cursor is at the end of the last one). */
    private int drawn;

    /** @param width the rendered bars' maximum length (0: the terminal's width as the library measures it) */
    TerminalStatus(PrintWriter out, int width) {
        this.out = out;
        this.width = width > 0 ? width : new ConsoleProgressBarConsumer(new PrintStream(java.io.OutputStream.nullOutputStream()))
                .getMaxRenderedLength();
    }

    /** A bar drawn here; closing it leaves its last rendering as a printed line. */
    Bar open(ProgressBarBuilder builder) {
        ProgressBarConsumer c = consumer();
        return new Bar(builder.setConsumer(c).build(), c);
    }

    /**
     * A bar and its consumer. The library closes the consumer only when its timer has drawn the bar before the bar
     * closes, so {@link #close()} closes it too (the second close does nothing).
     */
    record Bar(ProgressBar bar, ProgressBarConsumer consumer) implements AutoCloseable {
        @Override
        public void close() {
            bar.close();
            consumer.close();
        }
    }

    /** A consumer for one bar; when it closes, the bar's last rendering stays as a printed line. */
    synchronized ProgressBarConsumer consumer() {
        Object key = new Object();
        bars.put(key, "");
        return new ProgressBarConsumer() {
            @Override
            public int getMaxRenderedLength() {
                return width;
            }

            @Override
            public void accept(String rendered) {
                update(key, rendered);
            }

            @Override
            public void close() {
                finish(key);
            }
        };
    }

    /** Prints {@code line} above the bars. */
    synchronized void println(String line) {
        erase();
        out.println(line);
        draw();
    }

    /** Removes the bars from the screen for good (before a final message, e.g. on Ctrl-C). */
    synchronized void clear() {
        erase();
        bars.clear();
        out.flush();
    }

    private synchronized void update(Object key, String rendered) {
        if (!bars.containsKey(key)) return;
        bars.put(key, rendered);
        erase();
        draw();
    }

    private synchronized void finish(Object key) {
        String last = bars.get(key);
        if (last == null) return;
        erase();
        bars.remove(key);
        if (!last.isEmpty()) out.println(last);
        draw();
    }

    private void erase() {
        for (int i = 0; i < drawn; i++) out.print(i == 0 ? CLEAR_LINE : UP + CLEAR_LINE);
        drawn = 0;
    }

    private void draw() {
        List<String> lines = new ArrayList<>();
        for (String s : bars.values()) if (!s.isEmpty()) lines.add(s);
        for (int i = 0; i < lines.size(); i++) out.print(i == 0 ? lines.get(i) : "\n" + lines.get(i));
        drawn = lines.size();
        out.flush();
    }
}

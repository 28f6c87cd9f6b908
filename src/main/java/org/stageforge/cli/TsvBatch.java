package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Runs a per-line answer function over a tab-separated batch file ('-' is standard input):
 * '#' lines and blank lines are skipped (CRLF endings tolerated), every other line gives one output line. Output is
 * buffered and written in large chunks.
 */
final class TsvBatch {
    private TsvBatch() {}

    static void run(String file, PrintWriter out, Function<String[], String> answer) {
        StringBuilder buf = new StringBuilder(1 << 16);
        try (BufferedReader in = open(file)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
                if (line.isEmpty() || line.startsWith("#")) continue;
                buf.append(answer.apply(line.split("\t", -1))).append('\n');
                if (buf.length() > 1 << 16) {
                    out.print(buf);
                    buf.setLength(0);
                }
            }
        } catch (NoSuchFileException e) {
            throw new StageforgeException("batch file not found: " + file, ExitCodes.NOT_FOUND, e);
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + file + ": " + org.stageforge.util.IoErrors.reason(e), e);
        }
        out.print(buf);
        out.flush();
    }

    private static BufferedReader open(String file) throws IOException {
        if (file.equals("-")) return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    }
}

package org.stageforge.cli;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Says what Ctrl-C interrupted while a long command runs: a JVM shutdown hook (SIGINT, also SIGTERM), removed when
 * the command ends. The JVM then exits with 128 + the signal, 130 for SIGINT, as shells expect.
 */
final class OnInterrupt implements AutoCloseable {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");
    private final Thread hook;

    OnInterrupt(Runnable report) {
        hook = new Thread(report, "stageforge-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook runs (or ran) and reports
        }
    }

    /** {@code words} as a line to paste into a POSIX shell; a URL's credentials are masked (they would end up in logs). */
    static String command(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String word : words) {
            String w = word.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1***@");
            if (sb.length() > 0) sb.append(' ');
            sb.append(SAFE.matcher(w).matches() ? w : "'" + w.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}

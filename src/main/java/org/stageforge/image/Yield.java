package org.stageforge.image;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * This JVM's threads at the lowest CPU priority (nice 19) while a tool it started does the real work beside a check
 * that can wait: on two cores the check, the compiler and collector threads otherwise take turns from a tool that
 * compresses on every core. Only with CAP_SYS_NICE, which alone lets the priority rise back when the tool is done
 * (without it the JVM would stay slow for the rest of the build). Linux gives each thread its own nice value; threads
 * the JVM starts meanwhile inherit it from their creator, so the end restores every thread found then.
 */
final class Yield implements AutoCloseable {
    private static final int PRIO_PROCESS = 0;
    private static final int LOWEST = 19;

    static {
        Native.register(Yield.class, com.sun.jna.NativeLibrary.getInstance("c"));
    }

    private static native int getpriority(int which, int who) throws LastErrorException;

    private static native int setpriority(int which, int who, int prio) throws LastErrorException;

    private final Map<Integer, Integer> before = new HashMap<>();
    private final int usual;

    private Yield(int usual) {
        this.usual = usual;
    }

    /** Lowers every thread of this JVM when {@code wanted} and it may raise them back; otherwise a no-op. */
    static Yield lowerAll(boolean wanted) {
        if (!wanted || !canRaise()) return new Yield(Integer.MIN_VALUE);
        Yield y = new Yield(priority(0));
        for (int tid : tasks()) {
            try {
                y.before.put(tid, priority(tid));
                setpriority(PRIO_PROCESS, tid, LOWEST);
            } catch (LastErrorException e) {
                // the thread ended since /proc listed it
            }
        }
        return y;
    }

    /** getpriority returns the nice value; -1 is also a valid one, so errno alone tells an error (JNA raises it). */
    private static int priority(int tid) {
        Native.setLastError(0);
        return getpriority(PRIO_PROCESS, tid);
    }

    @Override
    public void close() {
        if (usual == Integer.MIN_VALUE) return;
        for (int tid : tasks()) {
            try {
                setpriority(PRIO_PROCESS, tid, before.getOrDefault(tid, usual));
            } catch (LastErrorException e) {
                // ended meanwhile
            }
        }
    }

    private static final int CAP_SYS_NICE = 23;

    /** Whether this process holds CAP_SYS_NICE (root in a container may not). */
    private static boolean canRaise() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("CapEff:")) return new java.math.BigInteger(l.substring(7).strip(), 16).testBit(CAP_SYS_NICE);
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc: no yielding
        }
        return false;
    }

    private static int[] tasks() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            return s.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).toArray();
        } catch (IOException | NumberFormatException e) {
            return new int[0];
        }
    }
}

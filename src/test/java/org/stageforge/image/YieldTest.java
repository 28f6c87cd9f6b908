package org.stageforge.image;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class YieldTest {
    /** Each thread's nice value, field 19 of /proc/self/task/TID/stat (after the parenthesised name). */
    private static Map<Integer, Integer> nice() throws IOException {
        Map<Integer, Integer> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : s.toList()) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException ended) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                out.put(Integer.parseInt(t.getFileName().toString()), Integer.parseInt(f[16]));
            }
        }
        return out;
    }

    @Test
    void lowersEveryThreadAndRestoresThem() throws Exception {
        String capEff = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:"))
                .findFirst().orElseThrow().substring(7).strip();
        assumeTrue(new java.math.BigInteger(capEff, 16).testBit(23), "needs CAP_SYS_NICE to raise priorities back");
        Map<Integer, Integer> before = nice();
        try (Yield y = Yield.lowerAll(true)) {
            Map<Integer, Integer> during = nice();
            during.keySet().retainAll(before.keySet());
            assertThat(during.values()).isNotEmpty().allMatch(n -> n == 19);
        }
        Map<Integer, Integer> after = nice();
        after.keySet().retainAll(before.keySet());
        before.keySet().retainAll(after.keySet());
        assertThat(after).isEqualTo(before);
    }

    @Test
    void notWantedChangesNothing() throws Exception {
        Map<Integer, Integer> before = nice();
        try (Yield y = Yield.lowerAll(false)) {
            Map<Integer, Integer> during = nice();
            during.keySet().retainAll(before.keySet());
            before.keySet().retainAll(during.keySet());
            assertThat(during).isEqualTo(before);
        }
    }
}

package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays portage-expected/install/config-protect with the real special-nodes XPAKs Portage merged. The packages in
 * the fixtures were rebuilt after Portage's run (their member mtimes differ), so CONTENTS mtimes are not compared.
 */
class ConfigProtectFixtureTest {
    @TempDir
    Path tmp;

    static Path pkg(String version) {
        return Fixtures.require("portage-made-gpkg/extra-xpak/oracle-extra/special-nodes/special-nodes-" + version + "-1.xpak");
    }

    Path root() throws IOException {
        return Files.createDirectories(tmp.resolve("root"));
    }

    void merge(Path pkg, InstallMask mask) throws IOException {
        MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(pkg, null)),
                MergeOptions.defaults(root()).withSync(false).withUnprivileged(true).withInstallMask(mask)));
    }

    static Set<String> withoutMtimes(List<String> lines) {
        return lines.stream().map(l -> l.startsWith("obj ") || l.startsWith("sym ") ? l.replaceFirst(" \\d+$", "") : l)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    Set<String> contents(String pf) throws IOException {
        return withoutMtimes(Files.readAllLines(root().resolve("var/db/pkg/oracle-extra/" + pf + "/CONTENTS")));
    }

    /** The sections of config-protect.txt: step number to [files, CONTENTS etc lines, config memory]. */
    static Map<Integer, List<List<String>>> steps(Path txt) throws IOException {
        Map<Integer, List<List<String>>> out = new LinkedHashMap<>();
        List<List<String>> cur = null;
        int part = 0;
        for (String line : Files.readAllLines(txt)) {
            if (line.startsWith("== ")) {
                cur = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
                part = 0;
                out.put(Integer.parseInt(line.substring(3, line.indexOf(')'))), cur);
            } else if (line.startsWith("-- ")) {
                part++;
            } else if (!line.isBlank() && cur != null) {
                cur.get(part).add(line);
            }
        }
        return out;
    }

    List<String> etcOracle() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root().resolve("etc/oracle"))) {
            for (Path p : s.sorted().toList()) {
                out.add("etc/oracle/" + p.getFileName() + "\t" + Files.readString(p).strip());
            }
        }
        return out;
    }

    List<String> etcContents(String pf) throws IOException {
        return Files.readAllLines(root().resolve("var/db/pkg/oracle-extra/" + pf + "/CONTENTS")).stream()
                .filter(l -> l.contains(" /etc/oracle")).toList();
    }

    @Test
    void fourStepsAsPortage() throws IOException {
        Map<Integer, List<List<String>>> want = steps(Fixtures.require("portage-expected/install/config-protect/config-protect.txt"));
        Files.createDirectories(root().resolve("etc/oracle"));
        Files.writeString(root().resolve("etc/oracle/oracle.conf"), "setting=local-admin\n");
        Files.writeString(root().resolve("etc/oracle/other.conf"), "other=1\n");
        for (int step = 1; step <= 4; step++) {
            if (step == 3) Files.writeString(root().resolve("etc/oracle/other.conf"), "other=edited\n");
            merge(pkg(step == 4 ? "2" : "1"), InstallMask.none());
            List<List<String>> w = want.get(step);
            String pf = step == 4 ? "special-nodes-2" : "special-nodes-1";
            assertThat(etcOracle()).as("files after step " + step).isEqualTo(w.get(0));
            assertThat(withoutMtimes(etcContents(pf))).as("CONTENTS after step " + step).isEqualTo(withoutMtimes(w.get(1)));
            assertThat(Files.readAllLines(root().resolve("var/lib/portage/config"))).as("config memory after step " + step)
                    .isEqualTo(w.get(2));
        }
        assertThat(contents("special-nodes-2")).isEqualTo(withoutMtimes(Files.readAllLines(
                Fixtures.require("portage-expected/install/config-protect/special-nodes-2.CONTENTS"))));
        assertThat(Files.exists(root().resolve("var/db/pkg/oracle-extra/special-nodes-1"))).isFalse();
    }

    @Test
    void installMaskOnFifoAndDevicePackageAsPortage() throws IOException {
        Path dir = Fixtures.require("portage-expected/install/config-protect");
        merge(pkg("1"), InstallMask.parse("/usr/share/doc /usr/lib/systemd", InstallMaskSets.defaults()));
        assertThat(contents("special-nodes-1")).isEqualTo(withoutMtimes(Files.readAllLines(
                dir.resolve("special-nodes.INSTALL_MASK.CONTENTS"))));
        // Portage's own state and work directories, not the package's
        List<String> ignored = List.of("./tmp", "./var/cache", "./var/tmp", "./var/lib/portage", "./var/lib/stageforge",
                "./var/db");
        Set<String> want = new TreeSet<>(Files.readAllLines(dir.resolve("special-nodes.INSTALL_MASK.files")));
        Set<String> got = new TreeSet<>();
        Path r = root();
        try (Stream<Path> s = Files.walk(r)) {
            s.forEach(p -> got.add(r.relativize(p).toString().isEmpty() ? "." : "./" + r.relativize(p)));
        }
        for (Set<String> set : List.of(want, got)) {
            set.removeIf(p -> ignored.stream().anyMatch(i -> p.equals(i) || p.startsWith(i + "/")));
        }
        assertThat(got).isEqualTo(want);
        FileTable t = FileTable.load(root());
        assertThat(t.get("var/spool/oracle/fifo").type()).isEqualTo('p');
        assertThat(t.get("usr/share/oracle/dev/null-clone")).isEqualTo(new FileTable.Entry('c', 0600, 0, 0, 1, 3, null));
    }
}

package org.stageforge.bench;

import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.IndexEntryChecks;
import org.stageforge.binpkg.VerifyOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Verifies (against the Packages index, and the Manifest for GPKG) and lists every fixture package,
 * single-threaded, and prints the time of each pass. Used by {@code bench/binpkg.sh}.
 * Arguments: fixture root, number of passes.
 */
public final class BinpkgBench {
    private BinpkgBench() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "../shared/fixtures");
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Path[]> work = new ArrayList<>();
        for (String repo : List.of("binhost-xpak-amd64", "binhost-gpkg-amd64", "binhost-synth-gpkg", "portage-made-gpkg/quickpkg")) {
            Path r = root.resolve(repo);
            try (Stream<Path> s = Files.walk(r)) {
                s.filter(p -> p.toString().endsWith(".xpak") || p.toString().endsWith(".gpkg.tar")).sorted()
                        .forEach(p -> work.add(new Path[] {r, p}));
            }
        }
        Map<Path, Map<String, Map<String, String>>> indexes = new LinkedHashMap<>();
        for (int pass = 1; pass <= passes; pass++) {
            long t0 = System.nanoTime();
            long entries = 0;
            for (Path[] w : work) {
                Map<String, Map<String, String>> idx = indexes.computeIfAbsent(w[0], BinpkgBench::index);
                Map<String, String> entry = idx.getOrDefault(w[0].relativize(w[1]).toString(), Map.of());
                try (BinaryPackage bp = BinaryPackage.open(w[1])) {
                    bp.verify(IndexEntryChecks.of(entry), VerifyOptions.CHECKSUMS_ONLY);
                    entries += bp.entries().size();
                }
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("pass %d: %d packages, %d entries, %.3f s%n", pass, work.size(), entries, s);
        }
    }

    private static Map<String, Map<String, String>> index(Path repo) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        try {
            for (String stanza : Files.readString(repo.resolve("Packages")).split("\n\n")) {
                Map<String, String> m = new LinkedHashMap<>();
                for (String l : stanza.split("\n")) {
                    int i = l.indexOf(": ");
                    if (i > 0) m.put(l.substring(0, i), l.substring(i + 2));
                }
                if (m.containsKey("PATH")) out.put(m.get("PATH"), m);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }
}

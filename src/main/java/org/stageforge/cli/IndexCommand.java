package org.stageforge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.StageforgeException;
import org.stageforge.binhost.BinhostClient;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code stageforge index ...}: binhost Packages indexes. */
@Command(name = "index", description = "Inspect binhost Packages indexes.",
        subcommands = {IndexCommand.Show.class})
public final class IndexCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    @Command(name = "show", description = "Print a Packages index (file, Packages.gz, binhost directory or http(s) URL"
            + " of a binhost or its Packages) as a table or JSON.")
    static final class Show implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--json", description = "Print header and entries as JSON.")
        boolean json;

        @Parameters(paramLabel = "PACKAGES_FILE_OR_BINHOST")
        String path;

        @Option(names = "--cache", paramLabel = "DIR",
                description = "Cache for a fetched index (default: $XDG_CACHE_HOME/stageforge or ~/.cache/stageforge).")
        Path cache;

        @Override
        public void run() {
            PackagesIndex idx = read();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("source", idx.source());
                doc.put("header", idx.header());
                doc.put("entries", idx.entries().stream().map(PackagesEntry::fields).toList());
                out.println(Json.write(doc));
                return;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"CPV", "BUILD_ID", "SIZE", "PATH", "USE"});
            for (PackagesEntry e : idx.entries()) {
                rows.add(new String[] {e.cpv(), e.raw("BUILD_ID").orElse("-"), e.raw("SIZE").orElse("-"), e.path(),
                        abbreviate(String.join(" ", e.use()), 50)});
            }
            Table.print(out, rows);
            out.println(idx.entries().size() + " entries");
        }

        /** A URL is fetched as a binhost (conditional GET into the cache); anything else is a local path. */
        private PackagesIndex read() {
            if (!path.matches("(?i)^https?://.*")) return PackagesIndex.read(Path.of(path));
            String base = path.replaceAll("/+$", "").replaceFirst("/Packages$", "");
            BinhostClient.Options o = BinhostClient.Options.of(cache != null ? cache : InstallCommand.defaultCache());
            try (BinhostClient client = BinhostClient.open(base, o)) {
                return client.fetchIndex().index();
            }
        }
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    /** Shared JSON writer of the index and vdb commands. */
    static final class Json {
        private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        private Json() {}

        static String write(Object o) {
            try {
                return MAPPER.writeValueAsString(o);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new StageforgeException("cannot write JSON: " + e.getMessage(), e);
            }
        }
    }

    /** Left-aligned columns, two spaces apart; the last column is not padded. */
    static final class Table {
        private Table() {}

        static void print(PrintWriter out, List<String[]> rows) {
            int cols = rows.get(0).length;
            int[] w = new int[cols];
            for (String[] r : rows) for (int i = 0; i < cols; i++) w[i] = Math.max(w[i], r[i].length());
            for (String[] r : rows) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < cols; i++) {
                    sb.append(r[i]);
                    if (i < cols - 1) sb.append(" ".repeat(w[i] - r[i].length() + 2));
                }
                out.println(sb.toString().stripTrailing());
            }
        }
    }
}

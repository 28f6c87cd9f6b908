package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.StaticServer;
import org.stageforge.testutil.PermissionDenied;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** First-use friction: help everywhere, usage errors exit 2, shorter package names, URLs where paths were taken. */
class CliUsageTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static void commands(CommandLine cl, List<String> path, List<List<String>> all) {
        all.add(path);
        cl.getSubcommands().forEach((name, sub) -> {
            // aliases appear as extra keys of the same command
            if (!name.equals(sub.getCommandName())) return;
            List<String> p = new ArrayList<>(path);
            p.add(name);
            commands(sub, p, all);
        });
    }

    @Test
    void everyCommandPrintsItsHelpAndExitsZero() {
        List<List<String>> all = new ArrayList<>();
        commands(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())), List.of(), all);
        assertThat(all).hasSizeGreaterThan(30).contains(List.of("vdb", "list"), List.of("index", "show"), List.of("build"));
        for (List<String> cmd : all) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(cmd);
                args.add(flag);
                Run r = run(args.toArray(String[]::new));
                assertThat(r.code()).as(args + ": " + r.err()).isZero();
                assertThat(r.out()).as(args.toString()).contains("Usage: stageforge" + (cmd.isEmpty() ? "" : " " + String.join(" ", cmd)) + " [")
                        .contains("Exit codes:");
                assertThat(r.err()).as(args.toString()).isEmpty();
            }
        }
    }

    @Test
    void anUnknownCommandIsAUsageErrorEvenWithHelp() {
        for (String[] args : List.of(new String[] {"frobnicate", "--help"}, new String[] {"frobnicate"}, new String[] {"vdb", "lst", "--help"},
                new String[] {"pkg", "inspect", "--help", "extra", "--bogus"})) {
            Run r = run(args);
            assertThat(r.code()).as(List.of(args).toString()).isEqualTo(2);
            assertThat(r.out()).as(List.of(args).toString()).isEmpty();
            assertThat(r.err()).as(List.of(args).toString()).containsAnyOf("Unmatched argument", "Unknown option");
        }
        assertThat(run("frobnicate", "--help").err()).startsWith("Unmatched argument at index 0: 'frobnicate'");
    }

    @Test
    void vdbShowTakesCategoryAndPackage(@TempDir Path root) throws Exception {
        Vdb.write(root, VdbEntry.builder("sys-libs", "zlib-1.3").field("SLOT", "0/1").counter(3).build());
        Vdb.write(root, VdbEntry.builder("dev-lang", "python-3.12.1").field("SLOT", "3.12").counter(4).build());
        Vdb.write(root, VdbEntry.builder("dev-lang", "python-3.11.8").field("SLOT", "3.11").counter(5).build());
        Run byCp = run("vdb", "show", "--root", root.toString(), "sys-libs/zlib");
        assertThat(byCp.code()).as(byCp.err()).isZero();
        assertThat(byCp.out()).isEqualTo(run("vdb", "show", "--root", root.toString(), "sys-libs/zlib-1.3").out())
                .startsWith("sys-libs/zlib-1.3\n").contains("  SLOT: 0/1");
        Run several = run("vdb", "show", "--root", root.toString(), "dev-lang/python");
        assertThat(several.code()).isEqualTo(2);
        assertThat(several.err().strip()).isEqualTo("stageforge: dev-lang/python matches 2 installed versions "
                + "(dev-lang/python-3.11.8, dev-lang/python-3.12.1); give one");
        Run none = run("vdb", "show", "--root", root.toString(), "sys-libs/zli");
        assertThat(none.code()).isEqualTo(6);
        assertThat(none.err().strip()).isEqualTo("stageforge: not installed in " + root + ": sys-libs/zli");
    }

    @Test
    void indexShowFetchesAUrl(@TempDir Path tmp) throws Exception {
        Path bh = Files.createDirectories(tmp.resolve("bh"));
        Files.writeString(bh.resolve("Packages"), "PACKAGES: 1\n\nCPV: a/b-1\nSIZE: 77\nPATH: a/b-1.xpak\n\n");
        try (StaticServer server = StaticServer.start(bh, 0)) {
            Run l = run("index", "show", bh.toString());
            for (String url : List.of(server.uri().toString(), server.uri() + "/", server.uri() + "/Packages")) {
                Run r = run("index", "show", "--cache", tmp.resolve("cache").toString(), url);
                assertThat(r.code()).as(url + ": " + r.err()).isZero();
                assertThat(r.out()).isEqualTo(l.out()).contains("a/b-1", "1 entries");
            }
        }
    }

    @Test
    void ioErrorsSayWhyAndWhere(@TempDir Path tmp) throws Exception {
        Run missing = run("build", tmp.resolve("nope.toml").toString());
        assertThat(missing.code()).isEqualTo(6);
        assertThat(missing.err().strip()).isEqualTo("stageforge: cannot read " + tmp.resolve("nope.toml") + ": file not found");

        Path file = Files.writeString(tmp.resolve("file"), "x");
        Path root = Files.createDirectories(tmp.resolve("root"));
        Run below = run("pack", root.toString(), "-o", file.resolve("x.tar").toString());
        assertThat(below.code()).isEqualTo(1);
        assertThat(below.err().strip()).isEqualTo("stageforge: cannot write " + file.resolve("x.tar") + ": " + file
                + ": not a directory");

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Run refused = run("index", "show", "--cache", tmp.resolve("cache").toString(), "http://127.0.0.1:" + closed + "/");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err().strip()).isEqualTo("stageforge: fetching http://127.0.0.1:" + closed
                + "/Packages failed: connection refused");
    }

    /**
     * In a child JVM that resolves names from an empty hosts file (jdk.net.hosts.file), so the lookup of the
     * never-resolving .invalid domain makes no DNS traffic at all.
     */
    @Test
    void anUnknownHostIsNamed(@TempDir Path tmp) throws Exception {
        Path hosts = Files.writeString(tmp.resolve("hosts"), "");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "index", "show", "--cache", tmp.resolve("cache").toString(), "http://nonexistent.invalid/")
                .redirectOutput(tmp.resolve("out").toFile()).redirectError(tmp.resolve("err").toFile()).start();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(Files.readString(tmp.resolve("err")).strip())
                .isEqualTo("stageforge: fetching http://nonexistent.invalid/Packages failed: unknown host");
        assertThat(Files.readString(tmp.resolve("out"))).isEmpty();
    }

    @Test
    void permissionDeniedIsNamed(@TempDir Path tmp) throws Exception {
        Path out = PermissionDenied.unwritableDir(tmp).resolve("x.tar");
        Run r = run("pack", Files.createDirectories(tmp.resolve("root")).toString(), "-o", out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("stageforge: cannot write " + out + ": " + out.getParent() + ": Permission denied");
        assertThat(out).doesNotExist();
    }
}

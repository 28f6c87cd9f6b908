package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The version/atom/depend commands, run in-process. */
class AtomCliTest {

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** The given column of every non-comment line. */
    private static List<String> column(Path file, int col) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            if (l.isEmpty() || l.startsWith("#")) continue;
            out.add(l.split("\t", -1)[col]);
        }
        return out;
    }

    private static void assertBatch(String fixture, int answerColumn, String... command) throws IOException {
        Path file = Fixtures.require("portage-expected/" + fixture);
        String[] args = new String[command.length + 2];
        System.arraycopy(command, 0, args, 0, command.length);
        args[command.length] = "--batch";
        args[command.length + 1] = file.toString();
        Result r = run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> expected = column(file, answerColumn);
        List<String> got = List.of(r.out().split("\n", -1)).subList(0, expected.size());
        assertThat(r.out().split("\n", -1)).hasSize(expected.size() + 1);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(got.get(i)).as("answer %d of %s", i + 1, fixture).isEqualTo(expected.get(i));
        }
    }

    @Test
    void versionCompareBatchMatchesPortage() throws IOException {
        assertBatch("vercmp.tsv", 2, "version", "compare");
    }

    @Test
    void atomParseBatchMatchesPortage() throws IOException {
        assertBatch("atoms.tsv", 1, "atom", "parse");
    }

    @Test
    void dependReduceBatchMatchesPortage() throws IOException {
        assertBatch("depreduce.tsv", 2, "depend", "reduce");
    }

    @Test
    void batchSkipsCommentsAndBlankLines(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("pairs.tsv");
        Files.writeString(f, "# header\n1.0\t1.0a\textra\n\n2\t1\n1.x\t1\n1\n");
        Result r = run("version", "compare", "--batch", f.toString());
        assertThat(r.out()).isEqualTo("-1\n1\ninvalid\ninvalid\n");
        Path d = dir.resolve("deps.tsv");
        Files.writeString(d, "a? ( x/y ) b/c\ta\na? ( x/y )\t\n|| (\tq\n");
        assertThat(run("depend", "reduce", "--batch", d.toString()).out()).isEqualTo("x/y b/c\n\ninvalid\n");
        Path a = dir.resolve("atoms.tsv");
        Files.writeString(a, "#x\n>=a/b-1:0\tignored\nbad\n");
        assertThat(run("atom", "parse", "--batch", a.toString()).out()).isEqualTo(
                "{\"blocker\": null, \"cp\": \"a/b\", \"operator\": \">=\", \"repo\": null, \"slot\": \"0\", \"slot_operator\": null, "
                        + "\"subslot\": null, \"use\": null, \"version\": \"1\"}\ninvalid\n");
    }

    @Test
    void missingBatchFileIsNotFound(@TempDir Path dir) {
        Result r = run("atom", "parse", "--batch", dir.resolve("nope").toString());
        assertThat(r.exit()).isEqualTo(6);
        assertThat(r.err()).startsWith("stageforge: batch file not found");
    }

    @Test
    void singleShotCommands() {
        assertThat(run("version", "compare", "1.0", "1.00").out()).isEqualTo("0\n");
        assertThat(run("atom", "compare", "1_p1", "1").out()).isEqualTo("1\n");
        Result bad = run("version", "compare", "1", "1.x");
        assertThat(bad.out()).isEqualTo("invalid\n");
        assertThat(bad.exit()).isEqualTo(3);

        Result atom = run("atom", "parse", "!!cat/pkg:0/1=::gentoo[a,b?]");
        assertThat(atom.exit()).isZero();
        assertThat(atom.out()).contains("\"blocker\": \"!!\"", "\"subslot\": \"1\"", "\"use\": \"[a,b?]\"");
        Result invalid = run("atom", "parse", "cat/pkg-1");
        assertThat(invalid.exit()).isEqualTo(3);
        assertThat(invalid.err()).startsWith("stageforge: atom 'cat/pkg-1' at position 5:").doesNotContain("\n\tat ");

        assertThat(run("depend", "check", "||", "(", "a/b", "c/d", ")").out()).isEqualTo("|| ( a/b c/d )\n");
        assertThat(run("depend", "check", "--kind", "required_use", "^^ ( a b )").out()).isEqualTo("^^ ( a b )\n");
        assertThat(run("depend", "check", "a/b )").exit()).isEqualTo(3);
        assertThat(run("depend", "reduce", "a? ( x/y[a=] ) !a? ( z/w )", "--use", "a b").out()).isEqualTo("x/y[a]\n");
    }

    @Test
    void matchPrintsAndExits() {
        Result yes = run("atom", "match", "~cat/pkg-1.2:2[ssl]", "cat/pkg-1.2-r3", "--slot", "2/2.1", "--use", "ssl", "--iuse", "ssl,gtk");
        assertThat(yes.out()).isEqualTo("true\n");
        assertThat(yes.exit()).isZero();
        Result no = run("atom", "match", "cat/pkg[gtk]", "cat/pkg-1", "--use", "ssl", "--iuse", "ssl,gtk");
        assertThat(no.out()).isEqualTo("false\n");
        assertThat(no.exit()).isEqualTo(1);
        assertThat(run("atom", "match", "cat/pkg[x?]", "cat/pkg-1", "--parent-use", "x", "--use", "", "--iuse", "x").out()).isEqualTo("false\n");
        assertThat(run("atom", "match", "cat/pkg::a", "cat/pkg-1", "--repo", "b").out()).isEqualTo("false\n");
        assertThat(run("atom", "match", "cat/pkg", "cat/pkg").exit()).isEqualTo(3);
    }
}

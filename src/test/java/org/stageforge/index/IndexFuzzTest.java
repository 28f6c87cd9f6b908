package org.stageforge.index;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.Contents;
import org.stageforge.vdb.ContentsEntry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Random, truncated and mutated inputs: the parsers either succeed consistently or throw ParseException. */
class IndexFuzzTest {

    private static final int ROUNDS = 3000;
    private static final String[] TOKENS = {": ", ":", "\n", "\n\n", " ", "=", "\t", "/", "..", " -> ", "\0", "\r",
            "CPV: ", "BUILD_ID: ", "SIZE: ", "PATH: ", "MTIME: ", "obj ", "sym ", "dir ", "fif ", "dev ", "(1, 2)",
            "99999999999999999999", "-1", "_eclasses_=", "\u00e9", "\ud83d\ude00"};

    private static final String PACKAGES_SEED = """
            CHOST: x86_64-pc-linux-gnu
            PACKAGES: 2
            TIMESTAMP: 1

            BUILD_ID: 1
            BUILD_TIME: 5
            CPV: a/b-1
            MD5: abc
            PATH: a/b/b-1-1.xpak
            SIZE: 10
            USE: x y
            MTIME: 3
            REPO: gentoo

            CPV: c/d-2
            SLOT: 1/2

            """;
    private static final String MD5_SEED = "DEFINED_PHASES=install\nEAPI=8\nIUSE=+a b\nSLOT=0\n"
            + "_eclasses_=x\t0123\ty\t4567\n_md5_=89ab\n";
    private static final String CONTENTS_SEED = "dir /usr\nobj /usr/a b c 0123abcd 17\nsym /usr/l -> t x 18\n"
            + "sym /usr/o -> p (1, 2)\nfif /f\ndev /d\n";

    @Test
    void packagesIndex() throws Exception {
        fuzz(seeds("binhost-synth-gpkg/Packages", PACKAGES_SEED), 1, in -> {
            PackagesIndex idx = PackagesIndex.parse("fuzz", in);
            assertThat(idx.toBytes()).isEqualTo(in);
            PackagesIndex again = PackagesIndex.parse("again", idx.toCanonicalBytes(OptionalLong.of(7)));
            assertThat(again.entries()).hasSameSizeAs(idx.entries());
            for (PackagesEntry e : idx.entries()) {
                e.path();
                e.buildId();
                e.size();
                e.mtime();
                e.buildTime();
                e.use();
                e.slot();
                e.subSlot();
                e.category();
                e.pf();
            }
        });
    }

    @Test
    void md5Cache() throws Exception {
        fuzz(seeds("gentoo-repo/metadata/md5-cache/acct-group/jobserver-0", MD5_SEED), 2, in -> {
            String text = new String(in, StandardCharsets.UTF_8);
            Md5CacheEntry e = Md5CacheEntry.parse("fuzz", "a/b-1", text);
            e.eclasses();
            e.iuse();
            Md5CacheEntry again = Md5CacheEntry.parse("again", "a/b-1", new String(e.toBytes(), StandardCharsets.UTF_8));
            assertThat(again.fields()).isEqualTo(e.fields());
        });
    }

    @Test
    void contents() throws Exception {
        fuzz(seeds("portage-expected/install/config-protect/special-nodes-2.CONTENTS", CONTENTS_SEED), 3, in -> {
            List<ContentsEntry> l = Contents.parse("fuzz", new String(in, StandardCharsets.UTF_8));
            assertThat(Contents.parse("again", Contents.format(l))).isEqualTo(l);
        });
    }

    private static List<byte[]> seeds(String fixture, String selfMade) throws Exception {
        List<byte[]> l = new ArrayList<>();
        l.add(selfMade.getBytes(StandardCharsets.UTF_8));
        Path p = Fixtures.root().resolve(fixture);
        if (Files.isRegularFile(p)) {
            byte[] b = Files.readAllBytes(p);
            // a slice keeps each round fast
            l.add(Arrays.copyOf(b, Math.min(b.length, 4000)));
        }
        return l;
    }

    private static void fuzz(List<byte[]> seeds, long seed, Consumer<byte[]> parser) {
        Random r = new Random(seed);
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] in = mutate(seeds.get(r.nextInt(seeds.size())), r);
            try {
                parser.accept(in);
                parsed++;
            } catch (ParseException expected) {
                assertThat(expected.getMessage()).doesNotContain("\n");
                rejected++;
            } catch (Throwable t) {
                fail("round " + i + " failed on input: " + escape(in), t);
            }
        }
        // both paths must be exercised, or the mutations are too weak or too strong
        assertThat(parsed).as("parsed").isGreaterThan(ROUNDS / 50);
        assertThat(rejected).as("rejected").isGreaterThan(ROUNDS / 50);
    }

    private static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) {
            switch (r.nextInt(6)) {
                case 0 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                case 1 -> {
                    if (b.length > 0) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
                case 2 -> b = insert(b, r.nextInt(b.length + 1), TOKENS[r.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
                case 3 -> { // delete a range
                    if (b.length > 0) {
                        int from = r.nextInt(b.length);
                        int to = Math.min(b.length, from + r.nextInt(40));
                        byte[] c = new byte[b.length - (to - from)];
                        System.arraycopy(b, 0, c, 0, from);
                        System.arraycopy(b, to, c, from, b.length - to);
                        b = c;
                    }
                }
                case 4 -> { // duplicate a range (duplicate keys, repeated blocks)
                    if (b.length > 0) {
                        int from = r.nextInt(b.length);
                        int to = Math.min(b.length, from + r.nextInt(80));
                        b = insert(b, r.nextInt(b.length + 1), Arrays.copyOfRange(b, from, to));
                    }
                }
                default -> { // random bytes
                    byte[] rnd = new byte[r.nextInt(12)];
                    r.nextBytes(rnd);
                    b = insert(b, r.nextInt(b.length + 1), rnd);
                }
            }
        }
        return b;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] c = new byte[b.length + what.length];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(what, 0, c, at, what.length);
        System.arraycopy(b, at, c, at + what.length, b.length - at);
        return c;
    }

    private static String escape(byte[] in) {
        StringBuilder sb = new StringBuilder();
        for (byte x : in) {
            int c = x & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\') sb.append((char) c);
            else sb.append(String.format("\\x%02x", c));
        }
        return sb.toString();
    }
}

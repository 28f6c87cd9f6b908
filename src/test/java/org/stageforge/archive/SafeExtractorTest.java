package org.stageforge.archive;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.stageforge.archive.TarTestSupport.dir;
import static org.stageforge.archive.TarTestSupport.file;
import static org.stageforge.archive.TarTestSupport.hardlink;
import static org.stageforge.archive.TarTestSupport.symlink;
import static org.stageforge.archive.TarTestSupport.tar;

/** Hostile archives never write outside the target directory. */
class SafeExtractorTest {
    @TempDir
    Path parent;
    Path target;
    Path outside;
    Map<String, String> before;

    @BeforeEach
    void setUp() throws IOException {
        target = Files.createDirectories(parent.resolve("target"));
        outside = Files.createDirectories(parent.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "do not touch");
        before = TarTestSupport.snapshot(parent, target);
    }

    List<ExtractedFile> extract(byte[] tar, ExtractPolicy policy) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar), "test.tar", TarLimits.DEFAULT);
        SafeExtractor x = new SafeExtractor(target, policy, "test.tar");
        TarEntry e;
        while ((e = r.next()) != null) x.accept(e, r.content());
        return x.finish();
    }

    void assertRefused(List<TarTestSupport.Member> members, String messagePart) throws IOException {
        byte[] t = tar(members);
        assertThatThrownBy(() -> extract(t, ExtractPolicy.SAME_PERMISSIONS))
                .isInstanceOf(StageforgeException.class)
                .hasMessageContaining(messagePart)
                .extracting(ex -> ((StageforgeException) ex).exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(TarTestSupport.snapshot(parent, target)).isEqualTo(before);
    }

    @Test
    void refusesDotDotAndAbsolutePaths() throws IOException {
        assertRefused(List.of(file("../outside/evil", "x")), "'..'");
        assertRefused(List.of(dir("./a"), file("./a/../../outside/evil", "x")), "'..'");
        assertRefused(List.of(file("/tmp/evil", "x")), "absolute path");
        assertRefused(List.of(hardlink("h", "../outside/secret")), "'..'");
    }

    @Test
    void refusesWritingThroughASymlinkCreatedEarlier() throws IOException {
        assertRefused(List.of(symlink("link", "../outside"), file("link/evil", "x")), "symbolic link link");
        assertRefused(List.of(symlink("abs", outside.toString()), file("abs/secret", "overwritten")), "symbolic link abs");
        assertRefused(List.of(symlink("root", "/"), dir("root/tmp"), file("root/tmp/x", "x")), "symbolic link root");
        assertRefused(List.of(symlink("s", "../outside/secret"), hardlink("h", "s")), "not a regular file");
        assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("do not touch");
    }

    @Test
    void replacingASymlinkByAFileNeverFollowsIt() throws IOException {
        extract(tar(List.of(symlink("x", "../outside/secret"), file("x", "inside"))), ExtractPolicy.SAME_PERMISSIONS);
        assertThat(Files.readString(target.resolve("x"))).isEqualTo("inside");
        assertThat(Files.isSymbolicLink(target.resolve("x"))).isFalse();
        assertThat(TarTestSupport.snapshot(parent, target)).isEqualTo(before);
    }

    @Test
    void extractsOrdinaryTreesWithModesAndLinks() throws IOException {
        TarTestSupport.Member suid = new TarTestSupport.Member(
                TarEntry.of("usr/bin/su", TarEntry.Type.FILE, 04755, 0, 0, 3, 1_000_000, ""), "abc".getBytes());
        List<ExtractedFile> t = extract(tar(List.of(dir("./"), dir("./usr"), dir("./usr/bin"), suid,
                symlink("./usr/bin/sh", "bash"), file("./usr/bin/bash", "bash!"), hardlink("./usr/bin/rbash", "./usr/bin/bash"),
                new TarTestSupport.Member(TarEntry.of("ro", TarEntry.Type.DIR, 0555, 0, 0, 0, 5, ""), new byte[0]),
                file("ro/inside", "written before the mode is applied"))), ExtractPolicy.SAME_PERMISSIONS);
        assertThat(t).hasSize(9).allMatch(ExtractedFile::created);
        assertThat(t.get(3).entry().path()).isEqualTo("usr/bin/su");
        assertThat(Files.getAttribute(target.resolve("usr/bin/su"), "unix:mode")).isEqualTo(0104755);
        assertThat(Files.readString(target.resolve("usr/bin/rbash"))).isEqualTo("bash!");
        assertThat(Files.getAttribute(target.resolve("ro"), "unix:mode")).isEqualTo(040555);
        assertThat(Files.getLastModifiedTime(target.resolve("ro")).toMillis()).isEqualTo(5000);
        assertThat(Files.readString(target.resolve("ro/inside"))).startsWith("written");
    }

    @Test
    void specialFilesAreRecordedOnlyUnlessRootAndAllowed() throws IOException {
        TarEntry dev = new TarEntry("dev/null", TarEntry.Type.CHAR, 0666, 0, 0, "", "", 0, 1, 0, "", 1, 3, null);
        TarEntry fifo = TarEntry.of("run/fifo", TarEntry.Type.FIFO, 0600, 0, 0, 0, 1, "");
        byte[] t = tar(List.of(new TarTestSupport.Member(dev, new byte[0]), new TarTestSupport.Member(fifo, new byte[0])));
        List<ExtractedFile> recorded = extract(t, ExtractPolicy.RECORD_ONLY);
        assertThat(recorded).extracting(ExtractedFile::created).containsExactly(false, false);
        assertThat(recorded.get(0).entry().devMajor()).isEqualTo(1);
        assertThat(Files.exists(target.resolve("dev/null"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        boolean root = SafeExtractor.runningAsRoot();
        List<ExtractedFile> made = extract(t, ExtractPolicy.SAME_PERMISSIONS);
        assertThat(made).extracting(ExtractedFile::created).containsExactly(root, root);
        if (root) {
            assertThat(Files.getAttribute(target.resolve("dev/null"), "unix:rdev", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(259L);
            assertThat(Files.getAttribute(target.resolve("run/fifo"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(010600);
        }
        assertThat(TarTestSupport.snapshot(parent, target)).isEqualTo(before);
    }

    @Test
    void headerLimitsAreEnforced() throws IOException {
        byte[] hugeXattr = new byte[2 << 20];
        TarEntry big = TarEntry.of("f", TarEntry.Type.FILE, 0644, 0, 0, 0, 1, "")
                .withXattrs(Map.of("user.big", hugeXattr));
        byte[] t = tar(List.of(new TarTestSupport.Member(big, new byte[0])));
        assertThatThrownBy(() -> extract(t, ExtractPolicy.SAME_PERMISSIONS)).isInstanceOf(ParseException.class)
                .hasMessageContaining("PAX header of");

        byte[] longPath = tar(List.of(file("a/".repeat(2100) + "f", "x")));
        assertThatThrownBy(() -> extract(longPath, ExtractPolicy.SAME_PERMISSIONS)).isInstanceOf(ParseException.class)
                .hasMessageContaining("path longer than");

        List<TarTestSupport.Member> many = new java.util.ArrayList<>();
        for (int i = 0; i < 101; i++) many.add(file("f" + i, ""));
        byte[] m = tar(many);
        TarLimits small = new TarLimits(1 << 20, 4096, 100, 1 << 30, 100, 1 << 20);
        assertThatThrownBy(() -> {
            TarReader r = new TarReader(new ByteArrayInputStream(m), "many.tar", small);
            while (r.next() != null) { }
        }).isInstanceOf(ParseException.class).hasMessageContaining("more than 100 members");
        assertThat(TarTestSupport.snapshot(parent, target)).isEqualTo(before);
    }
}

package org.stageforge.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class DirsTest {
    /** The links in a tree are removed, never followed: what they point at (a profile, a repository) stays. */
    @Test
    void deleteTreeRemovesLinksNotTheirTargetsAndReadOnlyDirectories(@TempDir Path tmp) throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("repo/profiles/example"));
        Files.writeString(outside.resolve("make.defaults"), "ARCH=amd64\n");
        Path tree = Files.createDirectories(tmp.resolve("build/config/etc/portage"));
        Files.createSymbolicLink(tree.resolve("make.profile"), outside);
        Files.createSymbolicLink(tree.resolve("dangling"), tmp.resolve("nowhere"));
        Path ro = Files.createDirectories(tmp.resolve("build/image/usr/share"));
        Files.writeString(ro.resolve("f"), "x");
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));

        Dirs.deleteTree(tmp.resolve("build"));

        assertThat(tmp.resolve("build")).doesNotExist();
        assertThat(outside.resolve("make.defaults")).hasContent("ARCH=amd64");
        Dirs.deleteTree(tmp.resolve("build")); // nothing left: nothing to do
    }
}

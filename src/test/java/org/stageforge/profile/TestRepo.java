package org.stageforge.profile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a small repository (profiles tree) for tests. */
final class TestRepo {
    final Path root;

    TestRepo(Path root, String name) {
        this.root = root;
        write("profiles/repo_name", name + "\n");
        write("metadata/layout.conf", "masters =\nprofile-formats = portage-2\n");
    }

    /** Writes {@code rel} under the repository root; returns this for chaining. */
    TestRepo write(String rel, String content) {
        try {
            Path p = root.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Writes {@code profiles/<profile>/<file>}. */
    TestRepo profile(String profile, String file, String content) {
        return write("profiles/" + profile + "/" + file, content);
    }

    Path profileDir(String profile) {
        return root.resolve("profiles").resolve(profile);
    }
}

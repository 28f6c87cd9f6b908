package org.stageforge.image;

import java.io.IOException;
import java.nio.file.Path;

final class TestHex {
    private TestHex() {}

    static String sha256(Path f) throws IOException {
        return org.stageforge.util.Hashes.ofFile(f, "SHA-256");
    }
}

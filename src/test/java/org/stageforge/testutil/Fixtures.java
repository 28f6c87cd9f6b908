package org.stageforge.testutil;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/fixtures} (real Portage-made data). Tests that need it call
 * {@link #require(String)}, which skips the test with the reason when the fixtures are absent.
 */
public final class Fixtures {
    private Fixtures() {}

    public static Path root() {
        String env = System.getenv("STAGEFORGE_FIXTURES");
        if (env == null || env.isEmpty()) env = System.getenv("STAGEFORGE_FIXTURES_DEFAULT");
        if (env == null || env.isEmpty()) env = "../shared/fixtures";
        return Path.of(env).toAbsolutePath().normalize();
    }

    /** The fixture path, or the test is skipped (not failed) when it is missing. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p),
                "fixtures not found at " + p + " (set STAGEFORGE_FIXTURES to ../shared/fixtures)");
        return p;
    }
}

package org.stageforge;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI is a shell over the library: no library class may depend on it. */
class LayeringTest {
    @Test
    void libraryCodeDoesNotUseTheCli() throws IOException {
        Path main = Path.of("src/main/java/org/stageforge");
        List<String> offenders;
        try (Stream<Path> files = Files.walk(main)) {
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.startsWith(main.resolve("cli")))
                    .filter(f -> {
                        try {
                            return Files.readString(f).contains("org.stageforge.cli");
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(Path::toString).sorted().toList();
        }
        assertThat(offenders).isEmpty();
    }
}

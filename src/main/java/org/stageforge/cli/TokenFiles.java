package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The token a client command sends: the first line of a file, so it never shows in a process listing. */
final class TokenFiles {
    private TokenFiles() {}

    static String read(Path file) {
        String token;
        try {
            token = Files.readAllLines(file).stream().findFirst().orElse("").strip();
        } catch (IOException e) {
            throw new StageforgeException(file + ": cannot read the token: " + e.getMessage(), ExitCodes.NOT_FOUND, e);
        }
        if (token.isEmpty()) throw new StageforgeException(file + ": empty token file", ExitCodes.BAD_INPUT, null);
        return token;
    }
}

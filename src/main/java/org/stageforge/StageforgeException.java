package org.stageforge;

/**
 * Base of every error stageforge reports on purpose. The message is one line meant for the user;
 * {@link #exitCode()} is what the CLI exits with (see {@code stageforge --help}).
 */
public class StageforgeException extends RuntimeException {
    private final int exitCode;

    public StageforgeException(String message) {
        this(message, ExitCodes.FAILURE, null);
    }

    public StageforgeException(String message, Throwable cause) {
        this(message, ExitCodes.FAILURE, cause);
    }

    public StageforgeException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}

package org.stageforge;

/**
 * Malformed input: names the source (file, or a description such as "atom"), the 1-based line
 * (0 when not line-oriented) and column (0 when unknown), and what is wrong.
 */
public class ParseException extends StageforgeException {
    private final String source;
    private final int line;
    private final int column;
    private final String reason;

    public ParseException(String source, int line, int column, String reason) {
        this(source, line, column, reason, null);
    }

    public ParseException(String source, int line, int column, String reason, Throwable cause) {
        super(format(source, line, column, reason), ExitCodes.BAD_INPUT, cause);
        this.source = source;
        this.line = line;
        this.column = column;
        this.reason = reason;
    }

    /** An error in a single value (version, atom, ...) with the 0-based offset at fault. */
    public static ParseException at(String what, String input, int offset, String reason) {
        return new ParseException(what + " '" + input + "'", 0, offset + 1, reason);
    }

    private static String format(String source, int line, int column, String reason) {
        StringBuilder sb = new StringBuilder(source);
        if (line > 0) sb.append(':').append(line);
        if (column > 0) sb.append(line > 0 ? ":" : " at position ").append(column);
        return sb.append(": ").append(reason).toString();
    }

    /** The same error, re-anchored at a file and line (for values parsed out of a file). */
    public ParseException in(String file, int lineNo) {
        return new ParseException(file, lineNo, 0, source + (column > 0 ? " at position " + column : "") + ": " + reason, this);
    }

    public String source() { return source; }
    public int line() { return line; }
    public int column() { return column; }
    public String reason() { return reason; }
}

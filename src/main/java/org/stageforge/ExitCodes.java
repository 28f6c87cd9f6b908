package org.stageforge;

/** Process exit codes, documented in {@code stageforge --help}. */
public final class ExitCodes {
    public static final int OK = 0;
    /** A runtime failure (I/O, an external tool, a failed build part). */
    public static final int FAILURE = 1;
    /** Wrong command-line usage. */
    public static final int USAGE = 2;
    /** Malformed input: a file, atom, version, spec or package that does not parse. */
    public static final int BAD_INPUT = 3;
    /** Integrity failure: checksum, size or signature mismatch, hostile archive. */
    public static final int VERIFY = 4;
    /** Dependency resolution failed: no candidate, unsatisfiable USE, hard blocker. */
    public static final int RESOLVE = 5;
    /** Something was not found (package, file, profile, index entry). */
    public static final int NOT_FOUND = 6;

    public static final String HELP = "Exit codes:%n"
            + "  0  success%n"
            + "  1  runtime failure (I/O, external tool, failed build part)%n"
            + "  2  wrong command-line usage%n"
            + "  3  malformed input (file, atom, version, spec, package)%n"
            + "  4  integrity failure (checksum, size, signature, hostile archive)%n"
            + "  5  dependency resolution failed%n"
            + "  6  not found (package, file, profile, index entry)";

    private ExitCodes() {}
}

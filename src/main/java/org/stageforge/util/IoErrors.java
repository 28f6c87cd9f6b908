package org.stageforge.util;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Why an I/O operation failed, in words a user can act on. Java's messages are often just a path
 * ({@code NoSuchFileException}), empty ({@code ConnectException} of the HTTP client) or hidden in a cause
 * ({@code UnresolvedAddressException}), so the reason is taken from the exception types of the whole chain.
 */
public final class IoErrors {
    private IoErrors() {}

    /** A short reason: "connection refused", "unknown host", "timed out", "Permission denied", "file not found", ... */
    public static String reason(Throwable e) {
        // the most specific cause decides: a ConnectException may wrap an unresolved address
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) return "unknown host";
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) return "timed out";
            if (t instanceof ConnectException) return "connection refused";
            if (t instanceof AccessDeniedException) return "Permission denied";
            if (t instanceof NoSuchFileException) return "file not found";
            if (t instanceof NotDirectoryException) return "not a directory";
            if (t instanceof FileAlreadyExistsException) return "already exists";
            if (t instanceof DirectoryNotEmptyException) return "directory not empty";
            if (t instanceof FileSystemException fs && fs.getReason() != null) return fs.getReason();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /**
     * The reason for a failure on {@code subject}, naming the path at fault when it is another one (a parent
     * directory that is missing, unreadable or a regular file).
     */
    public static String reason(java.nio.file.Path subject, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (!(t instanceof FileSystemException fs) || fs.getFile() == null) continue;
            java.nio.file.Path at = java.nio.file.Path.of(fs.getFile());
            if (at.equals(subject)) break;
            // createDirectories on a path below a regular file reports the file as "already existing"
            if (fs instanceof FileAlreadyExistsException && subject.startsWith(at)) return at + ": not a directory";
            // a temporary file beside the subject failed: the directory is at fault, not the random name
            java.nio.file.Path dir = at.getParent();
            if (!subject.startsWith(at) && dir != null && subject.startsWith(dir)) at = dir;
            return at + ": " + reason(fs);
        }
        return reason(e);
    }

    /** "PATH: reason" for file system errors (naming the path at fault), the reason alone otherwise. */
    public static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof FileSystemException fs && fs.getFile() != null) {
                return fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + reason(fs);
            }
        }
        return reason(e);
    }
}

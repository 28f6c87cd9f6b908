package org.stageforge.binpkg;

import org.stageforge.archive.TarEntry;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives the members of a package image in archive order. Paths are normalized relative to the
 * image root ({@code ./usr/bin/foo}, {@code ./} for the root; hard-link targets likewise).
 * {@code content} holds a regular file's data; it is only valid during the call and need not be
 * read to its end.
 */
@FunctionalInterface
public interface ImageVisitor {
    void visit(TarEntry entry, InputStream content) throws IOException;
}

package org.stageforge.archive;

/**
 * One row of an extraction's file table.
 *
 * @param entry   the member, with its path normalized relative to the target ("usr/bin/foo")
 * @param created false when the member was only recorded (special files as non-root, or by policy)
 */
public record ExtractedFile(TarEntry entry, boolean created) {}

package org.stageforge.archive;

/**
 * What extraction may do beyond plain files, directories and links. Both only take effect when
 * running as root; otherwise special files and ownership are only recorded in the file table.
 *
 * @param createSpecialFiles create fifos and device nodes inside the target
 * @param applyOwnership     set owners from the archive
 */
public record ExtractPolicy(boolean createSpecialFiles, boolean applyOwnership) {
    public static final ExtractPolicy DEFAULT = new ExtractPolicy(true, true);
    /** Never creates special files nor changes owners, even as root. */
    public static final ExtractPolicy RECORD_ONLY = new ExtractPolicy(false, false);
}

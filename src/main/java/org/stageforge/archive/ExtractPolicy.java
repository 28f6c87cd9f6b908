package org.stageforge.archive;

/**
 * What extraction may do beyond plain files, directories, links and permission bits. Each only takes effect when
 * running as root (special modes excepted: a user may set them on its own files); what is not applied is still in
 * the returned file table.
 *
 * @param createSpecialFiles create fifos and device nodes inside the target
 * @param applyOwnership     set owners from the archive
 * @param specialModes       keep setuid, setgid and sticky bits (else only the 0777 bits are applied)
 */
public record ExtractPolicy(boolean createSpecialFiles, boolean applyOwnership, boolean specialModes) {
    /** Like GNU tar's {@code --same-permissions --same-owner} as root: everything the archive says. */
    public static final ExtractPolicy SAME_PERMISSIONS = new ExtractPolicy(true, true, true);
    /** Never creates special files, changes owners nor keeps setuid/setgid/sticky bits, even as root. */
    public static final ExtractPolicy RECORD_ONLY = new ExtractPolicy(false, false, false);

    /** Whether extracting {@code e} applies less than the archive says (so listings show it as recorded only). */
    public boolean recordsOnly(ExtractedFile f) {
        TarEntry e = f.entry();
        return !f.created() || !e.xattrs().isEmpty() || !specialModes && (e.mode() & 07000) != 0
                || !(applyOwnership && SafeExtractor.runningAsRoot()) && (e.uid() != 0 || e.gid() != 0);
    }
}

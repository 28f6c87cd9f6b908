package org.stageforge.profile;

/**
 * Why a package is masked: the package.mask entry that matched (atom, file, line) and the
 * comment block above it, as Portage shows it (lines with their {@code #}, newline-terminated).
 */
public record MaskReason(Entry entry, String comment) {
    /** {@code atom (file:line)} followed by the comment, for messages. */
    public String describe() {
        return entry.value() + " (" + entry.origin() + ")" + (comment.isEmpty() ? "" : "\n" + comment.stripTrailing());
    }
}

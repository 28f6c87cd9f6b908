package org.stageforge.archive;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The rules about member order that extraction ({@link SafeExtractor}), the merge and {@code pkg verify} all apply,
 * member by member in archive order, so they accept and refuse the same archives. As in GNU tar, a later member
 * replaces an earlier one of the same path (a repeated directory changes nothing); refused, exit 4:
 * <ul>
 *   <li>a non-directory member for the archive root;</li>
 *   <li>a member below an earlier symlink or other non-directory member (it would be written through the link);</li>
 *   <li>a hard link whose target is not a regular file (or hard link to one) earlier in the archive: GNU tar would
 *       link to a symlink itself, Portage never packages that, so it is treated as hostile;</li>
 *   <li>a member replacing a directory that already holds members (GNU tar cannot remove it either), or replacing
 *       the target of an earlier hard link (extraction and merge would then disagree on the link's content).</li>
 * </ul>
 */
public final class MemberRules {
    private final String source;
    private final Map<String, TarEntry.Type> types = new HashMap<>();
    private final Set<String> nonEmptyDirs = new HashSet<>();
    private final Set<String> linkTargets = new HashSet<>();

    public MemberRules(String source) {
        this.source = source;
    }

    /**
     * Checks the next member; {@code e}'s path (and a hard link's target) must already be normalized by
     * {@link PathSanitizer} ("usr/bin/x", "" for the root).
     */
    public void check(TarEntry e) {
        String rel = e.path();
        TarEntry.Type type = e.type();
        if (rel.isEmpty()) {
            if (type != TarEntry.Type.DIR) throw PathSanitizer.hostile(source, "non-directory member for the root");
            return;
        }
        for (int i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
            String parent = rel.substring(0, i);
            TarEntry.Type t = types.get(parent);
            if (t == TarEntry.Type.SYMLINK) {
                throw PathSanitizer.hostile(source, "'" + rel + "': would write through symbolic link " + parent);
            }
            if (t != null && t != TarEntry.Type.DIR) {
                throw PathSanitizer.hostile(source, "'" + rel + "': parent " + parent + " is not a directory");
            }
        }
        TarEntry.Type prev = types.get(rel);
        if (prev != null && !(prev == TarEntry.Type.DIR && type == TarEntry.Type.DIR)) {
            if (nonEmptyDirs.contains(rel)) {
                throw PathSanitizer.hostile(source, "'" + rel + "' would replace directory " + rel
                        + ", which holds earlier members of the same archive");
            }
            if (linkTargets.contains(rel)) {
                throw PathSanitizer.hostile(source, "'" + rel + "' would replace " + rel + ", the target of an earlier hard link");
            }
        }
        if (type == TarEntry.Type.HARDLINK) {
            String target = e.linkTarget();
            TarEntry.Type t = types.get(target);
            if (t != TarEntry.Type.FILE && t != TarEntry.Type.HARDLINK) {
                throw PathSanitizer.hostile(source, "hard link " + rel + " to " + target
                        + " which is not a regular file extracted before");
            }
            linkTargets.add(target);
            linkTargets.add(rel);
        }
        for (int i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
            String parent = rel.substring(0, i);
            types.putIfAbsent(parent, TarEntry.Type.DIR);
            nonEmptyDirs.add(parent);
        }
        types.put(rel, type);
        if (type != TarEntry.Type.DIR) nonEmptyDirs.remove(rel);
    }
}

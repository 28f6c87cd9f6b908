package org.stageforge.configure;

import org.stageforge.merge.FileTable;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link Configurator#configure} did.
 *
 * @param actions   every file action in the order done (for {@code --verbose} logs)
 * @param intents   owners and modes a normal user cannot set on disk, for the merge engine's {@link FileTable};
 *                  sorted by path, one per path
 * @param warnings  things that did not stop the run (a root without zoneinfo, a unit without [Install] …)
 * @param firstBoot steps that need a program from the target and must run at first boot (locale-gen)
 */
public record ConfigureResult(List<FileAction> actions, List<OwnershipIntent> intents, List<String> warnings,
                              List<String> firstBoot) {
    public ConfigureResult {
        actions = List.copyOf(actions);
        intents = List.copyOf(intents);
        warnings = List.copyOf(warnings);
        firstBoot = List.copyOf(firstBoot);
    }

    public enum Kind { CREATED, REPLACED, SYMLINKED, REMOVED, DIRECTORY, UNCHANGED }

    /** One action on a root path (relative, no leading slash); {@code detail} is a symlink target or empty. */
    public record FileAction(Kind kind, String path, String detail) {
        @Override
        public String toString() {
            return kind.name().toLowerCase() + " " + path + (detail.isEmpty() ? "" : " -> " + detail);
        }
    }

    /** Owner and full mode of a root path; {@code type} is {@code f}, {@code d} or {@code l}. */
    public record OwnershipIntent(String path, char type, long uid, long gid, int mode) {}

    /** The actions that changed something. */
    public List<FileAction> changes() {
        return actions.stream().filter(a -> a.kind() != Kind.UNCHANGED).toList();
    }

    /**
     * Records the intents in {@code table} (kept: device numbers and xattrs of an entry already there). The caller
     * loads and saves the table ({@link FileTable#load}, {@link FileTable#save}).
     */
    public void applyTo(FileTable table) {
        Map<String, OwnershipIntent> byPath = new TreeMap<>();
        for (OwnershipIntent i : intents) byPath.put(i.path(), i);
        for (OwnershipIntent i : byPath.values()) {
            FileTable.Entry old = table.get(i.path());
            table.put(i.path(), old != null && old.type() == i.type()
                    ? new FileTable.Entry(i.type(), i.mode(), i.uid(), i.gid(), old.major(), old.minor(), old.xattrs())
                    : new FileTable.Entry(i.type(), i.mode(), i.uid(), i.gid(), 0, 0, null));
        }
    }
}

package org.stageforge.binhost;

import org.stageforge.ParseException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A {@code Packages} index entry seen as a {@link BinpkgRef}. */
public record IndexRef(PackagesEntry entry) implements BinpkgRef {

    /** Every entry of the index, in file order. */
    public static List<IndexRef> all(PackagesIndex index) {
        return index.entries().stream().map(IndexRef::new).toList();
    }

    /**
     * Entries matching an atom ({@code cat/pkg}, {@code >=cat/pkg-1.2:0}, {@code =cat/pkg-1*::repo}) or
     * a bare CPV ({@code cat/pkg-1.0}, meaning {@code =cat/pkg-1.0}): every build of every matching
     * version, in index order; empty when nothing matches. USE dependencies are not used to filter.
     * A blocker or malformed atom throws a {@link org.stageforge.ParseException}.
     */
    public static List<IndexRef> select(PackagesIndex index, String atomOrCpv) {
        Atom atom = parseQuery(atomOrCpv);
        List<IndexRef> out = new ArrayList<>();
        for (PackagesEntry e : index.entries()) {
            Cpv cpv;
            try {
                cpv = Cpv.parse(e.cpv());
            } catch (ParseException notAVersionedName) {
                continue; // an entry whose CPV has no valid version can match no atom
            }
            if (atom.matches(cpv, e.slotName(), e.subSlot(), e.repo().orElse(null), null, null)) out.add(new IndexRef(e));
        }
        return out;
    }

    private static Atom parseQuery(String q) {
        boolean bareCpv = !q.isEmpty() && Character.isLetterOrDigit(q.charAt(0)) && q.indexOf(':') < 0
                && q.indexOf('[') < 0 && isCpv(q);
        Atom atom = Atom.parse(bareCpv ? "=" + q : q);
        if (atom.isBlocker())
            throw new ParseException("package selection '" + q + "'", 0, 1, "a blocker selects no package");
        return atom;
    }

    private static boolean isCpv(String q) {
        try {
            Cpv.parse(q);
            return true;
        } catch (ParseException e) {
            return false;
        }
    }

    @Override
    public String cpv() { return entry.cpv(); }

    @Override
    public long buildId() { return entry.buildId().orElse(0); }

    @Override
    public String path() { return entry.path(); }

    @Override
    public long size() { return entry.size().orElse(-1); }

    @Override
    public String md5() { return hex(entry.md5().orElse(null)); }

    @Override
    public String sha1() { return hex(entry.sha1().orElse(null)); }

    @Override
    public String blake2b() { return hex(entry.blake2b().orElse(null)); }

    @Override
    public String sha512() { return hex(entry.sha512().orElse(null)); }

    private static String hex(String v) {
        return v == null || v.isBlank() ? null : v.strip().toLowerCase(Locale.ROOT);
    }
}

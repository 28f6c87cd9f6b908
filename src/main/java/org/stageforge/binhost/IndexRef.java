package org.stageforge.binhost;

import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** A {@code Packages} index entry seen as a {@link BinpkgRef}. */
public record IndexRef(PackagesEntry entry) implements BinpkgRef {
    /** PMS version syntax, used to tell {@code cat/pn} from {@code cat/pn-ver} when selecting. */
    private static final Pattern VERSION = Pattern.compile(
            "[0-9]+(\\.[0-9]+)*[a-z]?((_alpha|_beta|_pre|_rc|_p)[0-9]*)*(-r[0-9]+)?");

    /** Every entry of the index, in file order. */
    public static List<IndexRef> all(PackagesIndex index) {
        return index.entries().stream().map(IndexRef::new).toList();
    }

    /**
     * Entries matching a CPV ({@code cat/pkg-1.0}, optionally {@code =}-prefixed; every build of it)
     * or every version of a package ({@code cat/pkg}). Empty when nothing matches.
     */
    public static List<IndexRef> select(PackagesIndex index, String cpvOrPackage) {
        boolean exact = cpvOrPackage.startsWith("=");
        String q = exact ? cpvOrPackage.substring(1) : cpvOrPackage;
        List<IndexRef> out = new ArrayList<>();
        for (PackagesEntry e : index.entries()) {
            String cpv = e.cpv();
            boolean match = cpv.equals(q) || (!exact && cpv.startsWith(q + "-")
                    && VERSION.matcher(cpv.substring(q.length() + 1)).matches());
            if (match) out.add(new IndexRef(e));
        }
        return out;
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

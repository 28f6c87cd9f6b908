package org.stageforge.vdb;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.index.PackageMetadata;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One installed package: the files of its {@code var/db/pkg/CAT/PF/} directory, byte for byte.
 *
 * <p>Field files (SLOT, USE, COUNTER, repository, ...) are read the way Portage's aux_get reads
 * them: whitespace-normalized. The {@code metadata} file is Portage's consolidated snapshot of
 * the cached fields; {@link Vdb#write} regenerates and stamps it.
 *
 * @param category the category directory name
 * @param pf       the package directory name (PF)
 * @param files    file name to exact content, sorted by name (the arrays are shared: treat them as
 *                 read-only, or use {@link #file} for a copy)
 */
public record VdbEntry(String category, String pf, SortedMap<String, byte[]> files) implements PackageMetadata {

    /** Name of Portage's consolidated metadata snapshot file. */
    public static final String METADATA = "metadata";
    /** Field files Portage writes without a trailing newline. */
    private static final Set<String> NO_NEWLINE = Set.of("COUNTER", "BUILD_ID");

    public VdbEntry {
        Vdb.checkName("category", category);
        Vdb.checkName("package", pf);
        TreeMap<String, byte[]> copy = new TreeMap<>();
        files.forEach((k, v) -> {
            Vdb.checkName("VDB file name", k);
            copy.put(k, v.clone());
        });
        files = Collections.unmodifiableSortedMap(copy);
    }

    public String cpv() { return category + "/" + pf; }

    /** The exact bytes of one file. */
    public Optional<byte[]> file(String name) {
        byte[] b = files.get(name);
        return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    /** A file's text (UTF-8, undecodable bytes replaced), unchanged. */
    public Optional<String> text(String name) {
        byte[] b = files.get(name);
        return b == null ? Optional.empty() : Optional.of(new String(b, StandardCharsets.UTF_8));
    }

    /** A field as Portage's aux_get reads it: the file's words joined by single spaces. */
    @Override
    public Optional<String> value(String key) {
        return text(key).map(VdbEntry::normalize);
    }

    static String normalize(String s) {
        return String.join(" ", PackageMetadata.split(s));
    }

    /** The parsed CONTENTS (empty when the package installed nothing). */
    public List<ContentsEntry> contents() {
        return text("CONTENTS").map(t -> Contents.parse(source("CONTENTS"), t)).orElse(List.of());
    }

    /** COUNTER: the install order number. */
    public OptionalLong counter() { return number("COUNTER"); }

    public OptionalLong buildId() { return number("BUILD_ID"); }

    public OptionalLong buildTime() { return number("BUILD_TIME"); }

    /** SIZE: total size in bytes of the installed files. */
    public OptionalLong size() { return number("SIZE"); }

    public Set<String> use() { return PackageMetadata.wordSet(words("USE")); }

    public List<String> iuseEffective() { return words("IUSE_EFFECTIVE"); }

    /** The repository the package came from ({@code repository} file). */
    public Optional<String> repo() { return value("repository").filter(s -> !s.isEmpty()); }

    public Optional<String> binpkgMd5() { return value("BINPKGMD5").filter(s -> !s.isEmpty()); }

    public String provides() { return get("PROVIDES"); }

    public String requires() { return get("REQUIRES"); }

    /** NEEDED.ELF.2 lines ("arch;path;soname;rpath;needed,...;multilib category"). */
    public List<String> neededElf2() {
        return text("NEEDED.ELF.2").map(t -> t.lines().filter(l -> !l.isEmpty()).toList()).orElse(List.of());
    }

    /** The saved ebuild environment, decompressed from {@code environment.bz2}. */
    public Optional<String> environment() {
        byte[] b = files.get("environment.bz2");
        if (b == null) return Optional.empty();
        try (var in = new BZip2CompressorInputStream(new ByteArrayInputStream(b))) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ParseException(source("environment.bz2"), 0, 0, "not valid bzip2 data: " + e.getMessage(), e);
        }
    }

    /** The ebuild the package was built from ({@code PF.ebuild}). */
    public Optional<String> ebuild() { return text(pf + ".ebuild"); }

    /** How errors name one of the entry's files: its path relative to the root. */
    private String source(String file) {
        return Vdb.VDB_PATH + "/" + cpv() + "/" + file;
    }

    private OptionalLong number(String key) {
        String v = get(key);
        if (v.isEmpty()) return OptionalLong.empty();
        if (v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new ParseException(source(key), 1, 0, "not a number: '" + Contents.abbreviate(v) + "'");
        }
        return OptionalLong.of(Long.parseLong(v));
    }

    /**
     * The consolidated {@code metadata} body Portage writes (without the trailing
     * {@code #dir_mtime=} stamp): "#format=1", then the cached fields present as files, sorted,
     * each "KEY=value" with the value whitespace-normalized. Empty when no such field exists.
     */
    public String metadataBody() {
        StringBuilder sb = new StringBuilder();
        for (String k : new java.util.TreeSet<>(Vdb.METADATA_FIELDS)) {
            value(k).ifPresent(v -> sb.append(k).append('=').append(v).append('\n'));
        }
        return sb.length() == 0 ? "" : "#format=1\n" + sb;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof VdbEntry other)) return false;
        if (!category.equals(other.category) || !pf.equals(other.pf) || !files.keySet().equals(other.files.keySet())) return false;
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            if (!Arrays.equals(e.getValue(), other.files.get(e.getKey()))) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = cpv().hashCode();
        for (Map.Entry<String, byte[]> e : files.entrySet()) h = 31 * h + e.getKey().hashCode() ^ Arrays.hashCode(e.getValue());
        return h;
    }

    @Override
    public String toString() {
        return "VdbEntry[" + cpv() + ", files=" + files.keySet() + "]";
    }

    public static Builder builder(String category, String pf) {
        return new Builder(category, pf);
    }

    /** Builds an entry with Portage's file formats. */
    public static final class Builder {
        private final String category;
        private final String pf;
        private final TreeMap<String, byte[]> files = new TreeMap<>();

        private Builder(String category, String pf) {
            this.category = category;
            this.pf = pf;
            field("CATEGORY", category);
            field("PF", pf);
        }

        /** A one-value field file: the value and a newline (COUNTER and BUILD_ID without one). */
        public Builder field(String name, String value) {
            if (value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("field " + name + " has a newline in its value");
            }
            return file(name, (NO_NEWLINE.contains(name) ? value : value + "\n").getBytes(StandardCharsets.UTF_8));
        }

        public Builder counter(long counter) {
            return field("COUNTER", Long.toString(counter));
        }

        public Builder contents(List<ContentsEntry> entries) {
            return file("CONTENTS", Contents.format(entries).getBytes(StandardCharsets.UTF_8));
        }

        /** The ebuild environment, stored bzip2-compressed as {@code environment.bz2}. */
        public Builder environment(String env) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (var out = new BZip2CompressorOutputStream(bos)) {
                out.write(env.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new StageforgeException("cannot compress environment of " + category + "/" + pf, e);
            }
            return file("environment.bz2", bos.toByteArray());
        }

        /** Any file with exact bytes (NEEDED.ELF.2, the ebuild, ...). */
        public Builder file(String name, byte[] data) {
            files.put(name, data.clone());
            return this;
        }

        public VdbEntry build() {
            return new VdbEntry(category, pf, files);
        }
    }
}

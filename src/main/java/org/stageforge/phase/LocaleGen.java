package org.stageforge.phase;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.merge.RootFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gentoo's {@code locale-gen} done with the root's own {@code localedef}, confined as phases are
 * ({@link Isolation#NAMESPACE}, {@code sandbox.sh}): for each {@code NAME CHARMAP} line of the root's
 * {@code etc/locale.gen}, in file order, {@code localedef --prefix ROOT -i LOCALE -f CHARMAP [-A alias] NAME}
 * adds the locale to {@code ROOT/usr/lib/locale/locale-archive} (without {@code -c}: a warning fails the locale
 * rather than leaving a questionable one in the archive). The locale sources and charmaps are the root's
 * ({@code usr/share/i18n}, also given as I18NPATH for {@code copy} directives). An ELF localedef is started through
 * the root's own dynamic loader with the root's library directories, so it never runs against the host's C
 * library; anything else (a script) is started as it is.
 */
public final class LocaleGen {
    /** Where the target's localedef lives. */
    public static final String LOCALEDEF = "usr/bin/localedef";
    /** The archive localedef writes under its prefix. */
    public static final String ARCHIVE = "usr/lib/locale/locale-archive";
    private static final Pattern LINE = Pattern.compile("([A-Za-z0-9][A-Za-z0-9_.@+-]*)\\s+([A-Za-z0-9][A-Za-z0-9_.:-]*)");
    private static final Pattern NAME = Pattern.compile("([^.@]+)(?:\\.[^@]*)?(@.*)?");
    private static final List<String> LIB_DIRS = List.of("lib64", "usr/lib64", "lib", "usr/lib");

    private LocaleGen() {}

    /** Whether {@code root} has its own localedef (a regular file, symlinks followed inside the root). */
    public static boolean available(Path root) {
        return Files.isRegularFile(RootFiles.resolve(root, LOCALEDEF));
    }

    /** One locale built: its name as in locale.gen and the command's output. */
    public record Built(String name, String output) {}

    /**
     * Builds every locale of the root's {@code etc/locale.gen}; {@code work} is a scratch directory outside the root.
     *
     * @throws StageforgeException naming the locale when localedef fails or its sources are missing
     */
    public static List<Built> run(Path root, Path work, Duration timeout) {
        try {
            Path r = root.toRealPath();
            Path gen = RootFiles.resolve(r, "etc/locale.gen");
            if (!Files.isRegularFile(gen)) return List.of();
            List<String[]> entries = new ArrayList<>();
            for (String l : Files.readAllLines(gen, StandardCharsets.UTF_8)) {
                String t = l.strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                Matcher m = LINE.matcher(t);
                if (!m.matches()) throw new StageforgeException("etc/locale.gen: bad line '" + t + "'", ExitCodes.BAD_INPUT, null);
                entries.add(new String[] {m.group(1), m.group(2)});
            }
            if (entries.isEmpty()) return List.of();
            Files.createDirectories(work);
            Path w = work.toRealPath();
            if (w.startsWith(r) || r.startsWith(w)) {
                throw new StageforgeException("locale-gen: the work directory " + w + " and the root " + r
                        + " must not contain each other");
            }
            Path tools = Files.createDirectories(w.resolve("tools"));
            BashPhaseRunner.copyResource("sandbox.sh", tools.resolve("sandbox.sh"));
            List<String> prefix = launcher(r);
            Path i18n = RootFiles.resolve(r, "usr/share/i18n");
            Path alias = RootFiles.resolve(r, "usr/share/locale/locale.alias");
            RootFiles.ensureDir(RootFiles.resolve(r, ARCHIVE).getParent());
            List<Built> out = new ArrayList<>();
            for (String[] e : entries) {
                Matcher m = NAME.matcher(e[0]);
                if (!m.matches()) throw new StageforgeException("etc/locale.gen: bad locale name '" + e[0] + "'", ExitCodes.BAD_INPUT, null);
                String input = m.group(1) + (m.group(2) == null ? "" : m.group(2));
                Path source = i18n.resolve("locales").resolve(input);
                Path charmap = i18n.resolve("charmaps").resolve(e[1] + ".gz");
                if (!Files.isRegularFile(charmap)) charmap = i18n.resolve("charmaps").resolve(e[1]);
                if (!Files.isRegularFile(source) || !Files.isRegularFile(charmap)) {
                    throw new StageforgeException("locale-gen: " + e[0] + " " + e[1] + ": the root has no "
                            + (Files.isRegularFile(source) ? "charmap usr/share/i18n/charmaps/" + e[1]
                            : "locale source usr/share/i18n/locales/" + input), ExitCodes.NOT_FOUND, null);
                }
                List<String> cmd = new ArrayList<>(prefix);
                // the charmap by name: localedef finds it (and unpacks .gz) through I18NPATH
                cmd.addAll(List.of("--prefix", r.toString(), "-i", source.toString(), "-f", e[1]));
                if (Files.isRegularFile(alias)) cmd.addAll(List.of("-A", alias.toString()));
                cmd.add(e[0]);
                out.add(new Built(e[0], execute(r, w, tools, i18n, cmd, e[0], timeout)));
            }
            return out;
        } catch (IOException e) {
            throw new StageforgeException("locale-gen in " + root + ": " + e.getMessage(), e);
        }
    }

    /** How to start the root's localedef: through the root's ELF interpreter, or directly. */
    private static List<String> launcher(Path root) throws IOException {
        Path localedef = RootFiles.resolve(root, LOCALEDEF);
        String interp = elfInterpreter(localedef);
        if (interp == null) return List.of(localedef.toString());
        Path loader = RootFiles.resolve(root, interp.replaceFirst("^/+", ""));
        if (!Files.isRegularFile(loader)) {
            throw new StageforgeException("locale-gen: " + LOCALEDEF + " needs " + interp + ", which the root lacks",
                    ExitCodes.NOT_FOUND, null);
        }
        List<String> libs = new ArrayList<>();
        for (String d : LIB_DIRS) {
            Path p = RootFiles.resolve(root, d);
            if (Files.isDirectory(p) && !libs.contains(p.toString())) libs.add(p.toString());
        }
        return List.of(loader.toString(), "--library-path", String.join(":", libs), localedef.toString());
    }

    /** PT_INTERP of a 64- or 32-bit ELF file, or null for a static ELF or a file that is not ELF. */
    static String elfInterpreter(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer h = ByteBuffer.allocate(64);
            ch.read(h, 0);
            h.flip();
            if (h.limit() < 52 || h.getInt(0) != 0x7f454c46) return null;
            boolean is64 = h.get(4) == 2;
            h.order(h.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long phoff = is64 ? h.getLong(32) : Integer.toUnsignedLong(h.getInt(28));
            int phentsize = Short.toUnsignedInt(h.getShort(is64 ? 54 : 42));
            int phnum = Short.toUnsignedInt(h.getShort(is64 ? 56 : 44));
            for (int i = 0; i < phnum && i < 4096; i++) {
                ByteBuffer ph = ByteBuffer.allocate(phentsize).order(h.order());
                ch.read(ph, phoff + (long) i * phentsize);
                if (ph.getInt(0) != 3) continue; // PT_INTERP
                long off = is64 ? ph.getLong(8) : Integer.toUnsignedLong(ph.getInt(4));
                long size = is64 ? ph.getLong(32) : Integer.toUnsignedLong(ph.getInt(16));
                if (size <= 1 || size > 4096) return null;
                ByteBuffer s = ByteBuffer.allocate((int) size);
                ch.read(s, off);
                return new String(s.array(), 0, (int) size - 1, StandardCharsets.UTF_8);
            }
            return null;
        }
    }

    private static String execute(Path root, Path work, Path tools, Path i18n, List<String> localedef, String name,
                                  Duration timeout) throws IOException {
        Path newRoot = work.resolve("sandbox");
        Files.createDirectories(newRoot);
        List<String> cmd = new ArrayList<>();
        cmd.add(BashPhaseRunner.hostTool("unshare"));
        if (!BashPhaseRunner.privileged()) cmd.addAll(List.of("--user", "--map-root-user"));
        BashPhaseRunner.hostTool("setpriv");
        BashPhaseRunner.hostTool("pivot_root");
        cmd.addAll(List.of("--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
                BashPhaseRunner.hostTool("bash"), tools.resolve("sandbox.sh").toString(), newRoot.toString(),
                "2", root.toString(), work.toString(), "--"));
        // the marker tells a localedef status from a sandbox that could not be set up
        Path started = work.resolve("started");
        Files.deleteIfExists(started);
        cmd.addAll(List.of(BashPhaseRunner.hostTool("bash"), "-c", ": > \"$0\" && exec \"$@\"", started.toString()));
        cmd.addAll(localedef);
        Path log = work.resolve("localedef.log");
        Files.deleteIfExists(log); // this locale's output only
        int status;
        try {
            OptionalInt s = BashPhaseRunner.runClean(cmd,
                    Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "I18NPATH", i18n.toString()), work, log, timeout);
            if (s.isEmpty()) {
                throw new StageforgeException("locale-gen: localedef for " + name + " timed out after " + timeout);
            }
            status = s.getAsInt();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException("locale-gen: interrupted", e);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8).strip();
        if (!Files.exists(started)) {
            throw new StageforgeException("locale-gen: could not start localedef in a private mount namespace (unshare): "
                    + output.lines().reduce((a, b) -> b).orElse(""), ExitCodes.FAILURE, null);
        }
        // without -c, localedef writes nothing and exits non-zero on any warning or error
        if (status != 0) {
            String last = output.lines().reduce((a, b) -> b).orElse("");
            throw new StageforgeException("locale-gen: localedef for " + name + " failed with status " + status
                    + ": " + last, ExitCodes.FAILURE, null);
        }
        if (Files.exists(newRoot, LinkOption.NOFOLLOW_LINKS)) Files.delete(newRoot);
        return output;
    }
}

package org.stageforge.merge;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Named INSTALL_MASK path sets, referenced from a mask as {@code @name} / {@code -@name}
 * (a stageforge extension; Portage has no such sets). Immutable.
 *
 * <ul>
 *   <li>{@link #defaults()}: the shipped sets {@code @systemd @docs @man @info @locale @static-libs}
 *       (resource {@code install-mask-sets.conf}, documented there).</li>
 *   <li>{@link #withDirectory(Path)}: user sets from {@code <configRoot>/etc/stageforge/install-mask-sets/<name>},
 *       one token per line, {@code #} starts a comment line; a user set replaces a shipped one of the same name.</li>
 *   <li>{@link #with(String, List)} / {@link #withAll(Map)}: sets given by the caller (e.g. from a spec file).</li>
 * </ul>
 * Set names match {@code [A-Za-z0-9_][A-Za-z0-9_.+-]*}. A set's tokens are plain INSTALL_MASK paths or globs:
 * they may not start with {@code -} or {@code @} (no unmasking or nesting inside a set).
 */
public final class InstallMaskSets {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
    private static final String RESOURCE = "install-mask-sets.conf";
    private static final InstallMaskSets DEFAULTS = loadDefaults();

    private final Map<String, List<String>> sets;

    private InstallMaskSets(Map<String, List<String>> sets) {
        this.sets = Collections.unmodifiableMap(sets);
    }

    /** No sets at all. */
    public static InstallMaskSets empty() {
        return new InstallMaskSets(new TreeMap<>());
    }

    /** The sets shipped with stageforge. */
    public static InstallMaskSets defaults() {
        return DEFAULTS;
    }

    /** The tokens of set {@code name}, if defined. */
    public Optional<List<String>> tokens(String name) {
        return Optional.ofNullable(sets.get(name));
    }

    /** All set names, sorted. */
    public Set<String> names() {
        return sets.keySet();
    }

    /** These sets plus (or replacing) set {@code name}. */
    public InstallMaskSets with(String name, List<String> tokens) {
        return withAll(Map.of(name, tokens));
    }

    /** These sets plus (or replacing) the given ones. */
    public InstallMaskSets withAll(Map<String, List<String>> more) {
        TreeMap<String, List<String>> m = new TreeMap<>(sets);
        for (var e : more.entrySet()) {
            String name = e.getKey();
            checkName("install-mask set", name);
            List<String> toks = new ArrayList<>();
            for (String t : e.getValue()) {
                for (String part : t.trim().split("\\s+")) {
                    if (part.isEmpty()) continue;
                    checkToken("install-mask set @" + name, part);
                    toks.add(part);
                }
            }
            m.put(name, List.copyOf(toks));
        }
        return new InstallMaskSets(m);
    }

    /**
     * These sets plus those in {@code <configRoot>/etc/stageforge/install-mask-sets/} (file name = set name;
     * hidden files and names ending in {@code ~} are skipped). A missing directory adds nothing.
     */
    public InstallMaskSets withDirectory(Path configRoot) {
        Path dir = configRoot.resolve("etc/stageforge/install-mask-sets");
        if (!Files.isDirectory(dir)) return this;
        TreeMap<String, List<String>> m = new TreeMap<>(sets);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path f : ds) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || name.endsWith("~") || !Files.isRegularFile(f)) continue;
                checkName(f.toString(), name);
                List<String> toks = new ArrayList<>();
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).trim();
                    if (line.isEmpty() || line.startsWith("#")) continue;
                    for (String part : line.split("\\s+")) {
                        try {
                            checkToken("token", part);
                        } catch (ParseException e) {
                            throw e.in(f.toString(), i + 1);
                        }
                        toks.add(part);
                    }
                }
                m.put(name, List.copyOf(toks));
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot read install-mask sets in " + dir + ": " + e.getMessage(), e);
        }
        return new InstallMaskSets(m);
    }

    /**
     * {@code value} (an INSTALL_MASK value) as Portage, which has no sets, understands it: each {@code @name} token
     * replaced by the set's tokens in place, each {@code -@name} by the same tokens with {@code -}; other tokens are
     * kept as written; tokens are joined by one space. An unknown set is a {@link ParseException} naming the token.
     */
    public String expand(String value) {
        List<String> out = new ArrayList<>();
        for (String tok : value.trim().split("\\s+")) {
            if (tok.isEmpty()) continue;
            boolean minus = tok.startsWith("-");
            String body = minus ? tok.substring(1) : tok;
            if (!body.startsWith("@")) {
                out.add(tok);
                continue;
            }
            List<String> set = tokens(body.substring(1)).orElseThrow(() -> ParseException.at("INSTALL_MASK", value,
                    Math.max(0, value.indexOf(tok)), "unknown install-mask set '" + tok + "'"));
            for (String t : set) out.add(minus ? "-" + t : t);
        }
        return String.join(" ", out);
    }

    /** Whether {@code value} (an INSTALL_MASK value) has a {@code @name} or {@code -@name} token. */
    public static boolean refersToSets(String value) {
        for (String tok : value.trim().split("\\s+")) if (tok.startsWith("@") || tok.startsWith("-@")) return true;
        return false;
    }

    private static void checkName(String where, String name) {
        if (!NAME.matcher(name).matches())
            throw new ParseException(where, 0, 0, "invalid install-mask set name '" + name + "'");
    }

    private static void checkToken(String where, String token) {
        if (token.startsWith("-") || token.startsWith("@"))
            throw ParseException.at(where, token, 0, "a set holds only paths or globs (no '-' or '@' tokens)");
    }

    private static InstallMaskSets loadDefaults() {
        String text;
        try (InputStream in = InstallMaskSets.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + RESOURCE, e);
        }
        TreeMap<String, List<String>> m = new TreeMap<>();
        List<String> current = null;
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("[") && line.endsWith("]")) {
                String name = line.substring(1, line.length() - 1);
                checkName(RESOURCE, name);
                current = new ArrayList<>();
                m.put(name, current);
            } else if (current == null) {
                throw new ParseException(RESOURCE, i + 1, 1, "token outside a [set] section");
            } else {
                checkToken(RESOURCE, line);
                current.add(line);
            }
        }
        m.replaceAll((k, v) -> List.copyOf(v));
        return new InstallMaskSets(m);
    }
}

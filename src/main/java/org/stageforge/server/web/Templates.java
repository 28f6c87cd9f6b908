package org.stageforge.server.web;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's Mustache templates ({@code org/stageforge/server/web/templates/NAME.mustache} on the
 * class path), compiled once. Every {@code {{value}}} is HTML-escaped (quotes too, so values are safe in
 * quoted attributes); the templates use no unescaped {@code {{{…}}}} form, as package metadata is hostile.
 */
final class Templates {
    private static final String DIR = "org/stageforge/server/web/templates/";
    private final Mustache.Compiler compiler = Mustache.compiler()
            .escapeHTML(true)
            .emptyStringIsFalse(true)
            .nullValue("")
            .withLoader(Templates::open);
    private final Map<String, Template> compiled = new ConcurrentHashMap<>();

    private static Reader open(String name) throws IOException {
        InputStream in = Templates.class.getClassLoader().getResourceAsStream(DIR + name + ".mustache");
        if (in == null) throw new IOException("no template " + name);
        return new InputStreamReader(in, StandardCharsets.UTF_8);
    }

    String render(String name, Object context) {
        Template t = compiled.computeIfAbsent(name, n -> {
            try (Reader r = open(n)) {
                return compiler.compile(r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return t.execute(context);
    }
}

package org.stageforge.server.core;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request path as segments, every one of them safe to use as a name: the raw path is split on
 * {@code /} and each segment percent-decoded once (so {@code %2F} cannot smuggle a separator and
 * {@code %252e} stays the literal {@code %2e}); no empty, {@code .} or {@code ..} segment, no NUL,
 * backslash or other control character, valid UTF-8 only. A trailing slash is allowed and dropped.
 */
public record RequestPath(List<String> segments) {
    public RequestPath {
        segments = List.copyOf(segments);
    }

    /** Parses the raw (still percent-encoded) path of a request; refuses with 400 and one line. */
    public static RequestPath parse(String raw) {
        if (raw == null || !raw.startsWith("/")) throw HttpRefusal.badRequest("bad path: must start with /");
        String body = raw.substring(1);
        if (body.endsWith("/")) body = body.substring(0, body.length() - 1);
        List<String> out = new ArrayList<>();
        if (body.isEmpty()) return new RequestPath(out);
        for (String enc : body.split("/", -1)) {
            String s = decode(enc);
            if (s.isEmpty()) throw HttpRefusal.badRequest("bad path: empty segment");
            if (s.equals(".") || s.equals("..")) throw HttpRefusal.badRequest("bad path: '" + s + "' segment");
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '/' || c == '\\') throw HttpRefusal.badRequest("bad path: separator inside a segment");
                if (c < 0x20 || c == 0x7f) throw HttpRefusal.badRequest("bad path: control character");
            }
            out.add(s);
        }
        return new RequestPath(out);
    }

    private static String decode(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0)
                    throw HttpRefusal.badRequest("bad path: malformed percent-encoding");
                b.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else if (c > 0x7e || c < 0x21) {
                throw HttpRefusal.badRequest("bad path: unencoded character");
            } else {
                b.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw HttpRefusal.badRequest("bad path: not UTF-8");
        }
    }

    public int size() { return segments.size(); }

    public String get(int i) { return segments.get(i); }

    /** The segments from {@code from} on. */
    public RequestPath tail(int from) {
        return new RequestPath(segments.subList(from, segments.size()));
    }

    /** The segments joined with {@code /} (safe as a relative path). */
    public String joined() {
        return String.join("/", segments);
    }
}

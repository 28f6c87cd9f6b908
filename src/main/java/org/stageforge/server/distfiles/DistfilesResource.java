package org.stageforge.server.distfiles;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.stageforge.server.core.Uploads;
import org.stageforge.server.core.BlobResource;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.RequestPath;
import org.stageforge.server.core.ResourceModule;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;

import java.io.IOException;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code /distfiles/…}: GET/HEAD of {@code layout.conf}, {@code XX/NAME} and {@code NAME} (public);
 * {@code PUT /distfiles/upload/NAME} to add a distfile and {@code DELETE} of the same path to remove it (token
 * scope {@code distfiles:write} or {@code admin}). An upload is checked against the size and Portage digests
 * the client sends as headers ({@code X-Distfile-Size}, {@code X-Distfile-BLAKE2B}, {@code X-Distfile-SHA512},
 * …) or query parameters ({@code ?size=…&blake2b=…}).
 */
public final class DistfilesResource implements ResourceModule {
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Map<String, Integer> HEX_LENGTH = Map.of("BLAKE2B", 128, "SHA512", 128, "SHA256", 64, "SHA1", 40, "MD5", 32);
    private final Distfiles distfiles;

    public DistfilesResource(Distfiles distfiles) {
        this.distfiles = distfiles;
    }

    @Override
    public String mount() {
        return "distfiles";
    }

    @Override
    public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
        if (rest.size() == 0) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        HttpString method = ex.getRequestMethod();
        if (rest.get(0).equals("upload") && rest.size() > 1) {
            if (method.equals(Methods.PUT) || method.equals(Methods.DELETE)) {
                write(ex, distfiles.context(), rest);
                return;
            }
            throw new HttpRefusal(405, "upload paths take PUT or DELETE");
        }
        if (!method.equals(Methods.GET) && !method.equals(Methods.HEAD)) throw new HttpRefusal(405, method + " not allowed here");
        if (rest.size() == 1 && rest.get(0).equals("layout.conf")) {
            Server.text(ex, 200, Distfiles.LAYOUT_CONF);
            return;
        }
        String name;
        if (rest.size() == 1) {
            name = rest.get(0); // flat layout
        } else if (rest.size() == 2 && rest.get(0).equals(Distfiles.hashDir(rest.get(1)))) {
            name = rest.get(1);
        } else {
            throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        }
        Distfiles.Entry f = distfiles.find(name).orElseThrow(() -> HttpRefusal.notFound("no distfile " + name));
        ServerContext ctx = distfiles.context();
        BlobResource.serve(ex, new BlobResource(ctx.blobFiles(), ctx.blobs().file(f.sha256()), rest.joined(),
                f.sha256(), f.uploadedMillis(), "application/octet-stream"));
    }

    private void write(HttpServerExchange ex, ServerContext ctx, RequestPath rest) throws IOException {
        String action = ex.getRequestMethod().equals(Methods.PUT) ? "distfiles.upload" : "distfiles.delete";
        String object = rest.tail(1).joined();
        String tokenId = null;
        try {
            Tokens.Token t = ctx.authorize(ex, "distfiles:write");
            tokenId = t.id();
            if (rest.size() != 2) throw HttpRefusal.badRequest("expected /distfiles/upload/NAME");
            String name = Distfiles.checkName(rest.get(1));
            if (action.equals("distfiles.delete")) {
                distfiles.delete(name);
                ctx.audit().record(tokenId, action, object, "200 deleted");
                Server.text(ex, 200, "deleted " + name + "\n");
                return;
            }
            Distfiles.Expected expected = expected(ex);
            Uploads.checkDeclaredLength(ex, ctx.config().maxUploadBytes());
            Distfiles.Upload u = distfiles.upload(name, ex.getInputStream(), expected);
            int status = u.created() ? 201 : 200;
            ctx.audit().record(tokenId, action, object, status + " sha256 " + u.sha256());
            ex.getResponseHeaders().put(Headers.LOCATION, "/distfiles/" + u.path());
            Server.text(ex, status, u.sha256() + " " + u.path() + "\n");
        } catch (HttpRefusal r) {
            ctx.audit().record(tokenId, action, object, r.status() + " " + r.getMessage());
            throw r;
        }
    }

    /** The size and digests the client expects, from X-Distfile-* headers and query parameters (400 when malformed or contradictory). */
    static Distfiles.Expected expected(HttpServerExchange ex) {
        Map<String, String> values = new TreeMap<>();
        for (HeaderValues h : ex.getRequestHeaders()) {
            String key = h.getHeaderName().toString().toUpperCase(Locale.ROOT);
            if (key.startsWith("X-DISTFILE-")) put(values, key.substring("X-DISTFILE-".length()), h.getFirst());
        }
        for (Map.Entry<String, Deque<String>> q : ex.getQueryParameters().entrySet()) {
            for (String v : q.getValue()) put(values, q.getKey().toUpperCase(Locale.ROOT), v);
        }
        long size = -1;
        Map<String, String> digests = new TreeMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String k = e.getKey();
            String v = e.getValue().strip();
            if (k.equals("SIZE")) {
                try {
                    size = Long.parseLong(v);
                } catch (NumberFormatException nfe) {
                    size = -2;
                }
                if (size < 0) throw HttpRefusal.badRequest("bad expected size '" + v + "'");
            } else if (HEX_LENGTH.containsKey(k)) {
                if (v.length() != HEX_LENGTH.get(k) || !HEX.matcher(v).matches()) {
                    throw HttpRefusal.badRequest("bad expected " + k + " digest: " + HEX_LENGTH.get(k) + " hex digits wanted");
                }
                digests.put(k, v.toLowerCase(Locale.ROOT));
            } else {
                throw HttpRefusal.badRequest("unknown expectation '" + k.toLowerCase(Locale.ROOT)
                        + "' (size, blake2b, sha512, sha256, sha1, md5)");
            }
        }
        return new Distfiles.Expected(size, digests);
    }

    private static void put(Map<String, String> values, String key, String value) {
        String old = values.putIfAbsent(key, value);
        if (old != null && !old.strip().equalsIgnoreCase(value.strip())) {
            throw HttpRefusal.badRequest("contradictory expected " + key.toLowerCase(Locale.ROOT));
        }
    }
}

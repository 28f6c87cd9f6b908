package org.stageforge.server.releases;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.stageforge.server.core.Uploads;
import org.stageforge.server.core.BlobResource;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.RequestPath;
import org.stageforge.server.core.ResourceModule;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /releases/…}: {@code GET /releases/index.json} (channels and what each serves),
 * {@code /releases/C/index.json} (the channel's state and history), {@code /releases/C/FILE} (the current
 * release, one generation per request), {@code /releases/C/VERSION/FILE} and {@code /releases/C/VERSION/index.json};
 * {@code POST /releases/C/publish[?version=V]} (a tar body, see {@link ReleaseUpload}),
 * {@code POST /releases/C/promote?from=F[&version=V]} and {@code POST /releases/C/rollback[?version=V]} with a
 * token holding {@code channel:C:write} (or admin). Answers of writes are the release as JSON.
 */
public final class ReleaseResource implements ResourceModule {
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT).enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private final Releases releases;

    public ReleaseResource(Releases releases) {
        this.releases = releases;
    }

    @Override
    public String mount() {
        return "releases";
    }

    @Override
    public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
        ServerContext ctx = releases.context();
        HttpString method = ex.getRequestMethod();
        if (rest.size() == 0 || rest.size() == 1 && rest.get(0).equals(ReleaseUpload.RESERVED)) {
            readOnly(method);
            List<Map<String, Object>> list = new ArrayList<>();
            for (String c : releases.channels()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("channel", c);
                m.put("current", releases.channel(c).current().orElse(null));
                list.add(m);
            }
            json(ex, 200, Map.of("channels", list));
            return;
        }
        String channel = rest.get(0);
        if (!releases.exists(channel)) throw HttpRefusal.notFound("no channel " + channel);
        if (method.equals(Methods.POST)) {
            if (rest.size() != 2) throw new HttpRefusal(405, "POST takes /releases/CHANNEL/publish, promote or rollback");
            write(ex, ctx, channel, rest.get(1));
            return;
        }
        readOnly(method);
        if (rest.size() == 2 && rest.get(1).equals(ReleaseUpload.RESERVED)) {
            json(ex, 200, state(releases.channel(channel)));
            return;
        }
        if (rest.size() == 2) {
            // the pointer is read once: SHA256SUMS and the files of one request come from one release
            Views.Pointer p = ctx.views().current(Releases.channelView(channel)).orElseThrow(() -> HttpRefusal.notFound("no channel " + channel));
            ViewManifest.Entry e = ctx.views().manifest(p).get(rest.get(1));
            if (e == null) throw HttpRefusal.notFound("no " + rest.get(1) + " in the current release of channel " + channel);
            serve(ex, ctx, rest.get(1), e, p.publishedMillis());
            return;
        }
        if (rest.size() == 3) {
            String version = rest.get(1);
            Releases.Release r = releases.release(channel, version)
                    .orElseThrow(() -> HttpRefusal.notFound("no release " + version + " in channel " + channel));
            if (rest.get(2).equals(ReleaseUpload.RESERVED)) {
                json(ex, 200, r);
                return;
            }
            ViewManifest.Entry e = releases.manifest(channel, version).get(rest.get(2));
            if (e == null) throw HttpRefusal.notFound("no " + rest.get(2) + " in release " + version + " of channel " + channel);
            serve(ex, ctx, rest.get(2), e, r.publishedMillis());
            return;
        }
        throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
    }

    private void write(HttpServerExchange ex, ServerContext ctx, String channel, String action) throws Exception {
        Tokens.Token t = ctx.authenticate(ex);
        switch (action) {
            case "publish" -> {
                Uploads.checkDeclaredLength(ex, ctx.config().maxUploadBytes());
                Releases.Published p = releases.publish(channel, ex.getInputStream(), param(ex, "version"), t);
                json(ex, p.created() ? 201 : 200, p.release());
            }
            case "promote" -> {
                String from = param(ex, "from");
                if (from == null) throw HttpRefusal.badRequest("promote needs ?from=CHANNEL");
                json(ex, 200, releases.promote(from, channel, param(ex, "version"), t));
            }
            case "rollback" -> json(ex, 200, releases.rollback(channel, param(ex, "version"), t));
            default -> throw HttpRefusal.notFound("no action " + action + " (publish, promote, rollback)");
        }
    }

    /** A channel's state as JSON: {@code current} is null before the first publish. */
    static Map<String, Object> state(Releases.ChannelState s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("channel", s.channel());
        m.put("current", s.current().orElse(null));
        m.put("history", s.history());
        return m;
    }

    private static String param(HttpServerExchange ex, String name) {
        Deque<String> v = ex.getQueryParameters().get(name);
        return v == null || v.isEmpty() || v.peekFirst().isEmpty() ? null : v.peekFirst();
    }

    private static void readOnly(HttpString method) {
        if (!method.equals(Methods.GET) && !method.equals(Methods.HEAD)) throw new HttpRefusal(405, method + " not allowed here");
    }

    private static void serve(HttpServerExchange ex, ServerContext ctx, String name, ViewManifest.Entry e, long published) throws Exception {
        BlobResource.serve(ex, new BlobResource(ctx.blobFiles(), ctx.blobs().file(e.sha256()), name, e.sha256(), published,
                contentType(name)));
    }

    static String contentType(String name) {
        if (name.equals(ReleaseUpload.SUMS) || name.endsWith(".asc")) return "text/plain; charset=UTF-8";
        if (name.endsWith(".json")) return "application/json";
        if (name.endsWith(".gpg")) return "application/pgp-signature";
        return "application/octet-stream";
    }

    private static void json(HttpServerExchange ex, int status, Object value) throws Exception {
        byte[] b = (JSON.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, b.length);
        if (ex.getRequestMethod().equals(Methods.HEAD)) ex.endExchange();
        else ex.getResponseSender().send(java.nio.ByteBuffer.wrap(b));
    }
}

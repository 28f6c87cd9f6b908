package org.stageforge.server.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.RequestPath;
import org.stageforge.server.core.ResourceModule;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * {@code /fleet/…}: administration with a {@code fleet:admin} token, and each machine's own endpoints with its
 * {@code machine:ID} token:
 * <pre>
 * PUT  /fleet/groups/G?channel=C[&amp;version=V]   create a group, change its channel, pin it to a release
 * GET  /fleet/groups                             JSON
 * PUT  /fleet/machines/ID?group=G                register a machine; the body answered is its token
 * GET  /fleet/machines                           JSON: every machine, its target release and last report
 * PUT|DELETE /fleet/config/(group|machine)/NAME/PATH[?mode=0644]   a configuration file
 * POST /fleet/rollouts?group=G&amp;version=V&amp;canary=10[&amp;steps=50,100][&amp;interval=SECONDS]
 * GET  /fleet/rollouts/ID   POST /fleet/rollouts/ID/halt
 * GET  /fleet/machines/ID/config.tar | config.tar.asc | config.version          (machine)
 * GET  /fleet/machines/ID/release/FILE  302 to the release the machine should run (machine)
 * POST /fleet/machines/ID/health         a JSON health report (machine)
 * </pre>
 */
public final class FleetResource implements ResourceModule {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Fleet fleet;

    public FleetResource(Fleet fleet) {
        this.fleet = fleet;
    }

    @Override
    public String mount() {
        return "fleet";
    }

    @Override
    public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
        if (rest.size() == 0) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        ServerContext ctx = fleet.context();
        HttpString method = ex.getRequestMethod();
        switch (rest.get(0)) {
            case "machines" -> {
                if (rest.size() >= 3) {
                    machineEndpoint(ex, ctx, rest);
                    return;
                }
                Tokens.Token t = ctx.authorize(ex, "fleet:admin");
                if (rest.size() == 1 && isRead(method)) {
                    json(ex, 200, machinesJson());
                } else if (rest.size() == 2 && method.equals(Methods.PUT)) {
                    Fleet.Registered r = audited(ctx, t, "fleet.machine.add", rest.get(1),
                            () -> fleet.addMachine(rest.get(1), param(ex, "group")));
                    Server.text(ex, 201, r.token() + "\n");
                } else {
                    throw new HttpRefusal(405, method + " not allowed on " + ex.getRequestPath());
                }
            }
            case "groups" -> {
                Tokens.Token t = ctx.authorize(ex, "fleet:admin");
                if (rest.size() == 1 && isRead(method)) {
                    ArrayNode a = JSON.createArrayNode();
                    for (Fleet.Group g : fleet.groups()) a.add(groupJson(g));
                    json(ex, 200, a);
                } else if (rest.size() == 2 && method.equals(Methods.PUT)) {
                    Fleet.Group g = audited(ctx, t, "fleet.group.set", rest.get(1), () -> fleet.setGroup(rest.get(1), param(ex, "channel"), query(ex, "version")));
                    json(ex, 200, groupJson(g));
                } else {
                    throw new HttpRefusal(405, method + " not allowed on " + ex.getRequestPath());
                }
            }
            case "config" -> {
                Tokens.Token t = ctx.authorize(ex, "fleet:admin");
                if (rest.size() < 4) throw HttpRefusal.badRequest("expected /fleet/config/(group|machine)/NAME/PATH");
                String path = rest.tail(3).joined();
                String object = rest.get(1) + "/" + rest.get(2) + "/" + path;
                if (method.equals(Methods.PUT)) {
                    byte[] body = readBody(ex, Fleet.MAX_CONFIG_FILE, "configuration file");
                    int mode = parseMode(Optional.ofNullable(query(ex, "mode")).orElse("0644"));
                    String p = audited(ctx, t, "fleet.config.set", object, () -> fleet.setConfig(rest.get(1), rest.get(2), path, body, mode));
                    Server.text(ex, 200, "set " + p + "\n");
                } else if (method.equals(Methods.DELETE)) {
                    String p = audited(ctx, t, "fleet.config.delete", object, () -> fleet.setConfig(rest.get(1), rest.get(2), path, null, 0644));
                    Server.text(ex, 200, "deleted " + p + "\n");
                } else {
                    throw new HttpRefusal(405, "configuration files take PUT or DELETE");
                }
            }
            case "rollouts" -> {
                Tokens.Token t = ctx.authorize(ex, "fleet:admin");
                if (rest.size() == 1 && method.equals(Methods.POST)) {
                    int canary = intParam(ex, "canary", 10);
                    List<Integer> steps = new ArrayList<>();
                    String s = query(ex, "steps");
                    if (s != null && !s.isBlank()) {
                        for (String x : s.split(",")) steps.add(parseInt("steps", x.strip()));
                    }
                    long interval = intParam(ex, "interval", 0) * 1000L;
                    Fleet.Rollout r = audited(ctx, t, "fleet.rollout.start", param(ex, "group"),
                            () -> fleet.startRollout(param(ex, "group"), param(ex, "version"), canary, steps, interval));
                    json(ex, 201, statusJson(fleet.status(r.id())));
                } else if (rest.size() == 2 && isRead(method)) {
                    json(ex, 200, statusJson(fleet.status(rest.get(1))));
                } else if (rest.size() == 3 && rest.get(2).equals("halt") && method.equals(Methods.POST)) {
                    String reason = Optional.ofNullable(query(ex, "reason")).orElse("halted by token " + t.id());
                    audited(ctx, t, "fleet.rollout.halt", rest.get(1), () -> fleet.halt(rest.get(1), reason));
                    json(ex, 200, statusJson(fleet.status(rest.get(1))));
                } else {
                    throw new HttpRefusal(405, method + " not allowed on " + ex.getRequestPath());
                }
            }
            default -> throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        }
    }

    private void machineEndpoint(HttpServerExchange ex, ServerContext ctx, RequestPath rest) throws IOException {
        String id = rest.get(1);
        Tokens.Token t = ctx.authenticate(ex);
        if (!t.allows("machine:" + id) && !t.allows("fleet:admin")) {
            throw new HttpRefusal(403, "token " + t.id() + " lacks scope machine:" + id);
        }
        Fleet.Machine m = fleet.machine(id);
        HttpString method = ex.getRequestMethod();
        String what = rest.get(2);
        if (what.equals("health") && rest.size() == 3) {
            if (!method.equals(Methods.POST)) throw new HttpRefusal(405, "health reports are POSTed");
            byte[] body = readBody(ex, Fleet.MAX_REPORT, "health report");
            JsonNode n;
            try {
                n = JSON.readTree(body);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw HttpRefusal.badRequest("health report is not JSON: " + e.getOriginalMessage());
            }
            if (n == null || !n.isObject()) throw HttpRefusal.badRequest("health report is not a JSON object");
            Optional<Boolean> healthy = judged(n);
            Fleet.Health h = audited(ctx, t, "fleet.health", id, () -> fleet.report(id, n.path("version").asText(""),
                    n.path("slot").asText(""), healthy, Optional.of(n.path("last_cycle_version").asText("")),
                    new String(body, StandardCharsets.UTF_8)));
            Server.text(ex, 200, "stored report of " + h.machine() + "\n");
            return;
        }
        if (!isRead(method)) throw new HttpRefusal(405, method + " not allowed on " + ex.getRequestPath());
        if (what.equals("release") && rest.size() >= 4) {
            String file = rest.tail(3).joined();
            Optional<String> version = fleet.target(m);
            String base = "/releases/" + fleet.channel(m) + "/";
            ex.getResponseHeaders().put(Headers.LOCATION, base + version.map(v -> v + "/").orElse("") + file);
            ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
            Server.text(ex, 302, "release " + version.orElse("current") + "\n");
            return;
        }
        if (rest.size() != 3) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        Fleet.Bundle b = fleet.bundle(id);
        switch (what) {
            case "config.tar" -> bytes(ex, b.tar(), "application/x-tar", b.version());
            case "config.tar.asc" -> bytes(ex, b.signature(), "application/pgp-signature", b.version());
            case "config.version" -> Server.text(ex, 200, b.version() + "\n");
            default -> throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        }
    }

    /**
     * How a report judged the last cycle: a boolean {@code healthy}, or the controller's {@code last_cycle}
     * ({@code healthy}, {@code unhealthy: why}, or {@code none} on a first boot).
     */
    static Optional<Boolean> judged(JsonNode n) {
        if (n.has("healthy")) {
            if (!n.get("healthy").isBoolean()) throw HttpRefusal.badRequest("health report: 'healthy' must be true or false");
            return Optional.of(n.get("healthy").asBoolean());
        }
        String last = n.path("last_cycle").asText("");
        if (last.equals("healthy")) return Optional.of(true);
        if (last.startsWith("unhealthy")) return Optional.of(false);
        return Optional.empty();
    }

    private interface Action<T> {
        T run() throws IOException;
    }

    /** Runs a write and records it (refusals too) in the audit log. */
    private static <T> T audited(ServerContext ctx, Tokens.Token t, String action, String object, Action<T> a) throws IOException {
        try {
            T r = a.run();
            ctx.audit().record(t.id(), action, object, "ok");
            return r;
        } catch (HttpRefusal r) {
            ctx.audit().record(t.id(), action, object, r.status() + " " + r.getMessage());
            throw r;
        }
    }

    private ArrayNode machinesJson() {
        ArrayNode a = JSON.createArrayNode();
        for (Fleet.MachineState s : fleet.machineStates()) {
            ObjectNode o = a.addObject();
            o.put("id", s.machine().id());
            o.put("group", s.machine().group());
            o.put("target", s.target().orElse(null));
            s.last().ifPresent(h -> {
                ObjectNode l = o.putObject("last_report");
                l.put("received", h.receivedMillis() / 1000);
                l.put("version", h.version());
                l.put("slot", h.slot());
                if (h.healthy().isPresent()) l.put("healthy", h.healthy().get());
                else l.putNull("healthy");
            });
        }
        return a;
    }

    private static ObjectNode groupJson(Fleet.Group g) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", g.name());
        o.put("channel", g.channel());
        o.put("version", g.version().orElse(null));
        return o;
    }

    static ObjectNode statusJson(Fleet.RolloutStatus s) {
        Fleet.Rollout r = s.rollout();
        ObjectNode o = JSON.createObjectNode();
        o.put("id", r.id());
        o.put("group", r.group());
        o.put("version", r.version());
        o.put("baseline", r.baseline().orElse(null));
        o.put("state", r.state());
        o.put("reason", r.reason().orElse(null));
        ArrayNode steps = o.putArray("steps");
        r.steps().forEach(steps::add);
        o.put("stage", r.stage());
        o.put("interval_seconds", r.intervalMillis() / 1000);
        ArrayNode ad = o.putArray("admitted");
        s.admitted().forEach(ad::add);
        ArrayNode w = o.putArray("waiting");
        s.waiting().forEach(w::add);
        return o;
    }

    private static boolean isRead(HttpString m) {
        return m.equals(Methods.GET) || m.equals(Methods.HEAD);
    }

    private static void json(HttpServerExchange ex, int status, JsonNode n) throws IOException {
        byte[] b = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, b.length);
        if (ex.getRequestMethod().equals(Methods.HEAD)) ex.endExchange();
        else ex.getResponseSender().send(ByteBuffer.wrap(b));
    }

    private static void bytes(HttpServerExchange ex, byte[] b, String type, String version) {
        ex.setStatusCode(200);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, b.length);
        ex.getResponseHeaders().put(new HttpString("X-Stageforge-Config-Version"), version);
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        if (ex.getRequestMethod().equals(Methods.HEAD)) ex.endExchange();
        else ex.getResponseSender().send(ByteBuffer.wrap(b));
    }

    private static byte[] readBody(HttpServerExchange ex, int limit, String what) throws IOException {
        long declared = ex.getRequestContentLength();
        if (declared > limit) throw new HttpRefusal(413, what + " of " + declared + " bytes is larger than " + limit + " bytes");
        try (InputStream in = ex.getInputStream()) {
            byte[] b = in.readNBytes(limit + 1);
            if (b.length > limit) throw new HttpRefusal(413, what + " is larger than " + limit + " bytes");
            return b;
        }
    }

    private static String query(HttpServerExchange ex, String name) {
        Deque<String> d = ex.getQueryParameters().get(name);
        return d == null ? null : d.peekFirst();
    }

    private static String param(HttpServerExchange ex, String name) {
        String v = query(ex, name);
        if (v == null || v.isEmpty()) throw HttpRefusal.badRequest("missing query parameter " + name);
        return v;
    }

    private static int intParam(HttpServerExchange ex, String name, int dflt) {
        String v = query(ex, name);
        return v == null ? dflt : parseInt(name, v);
    }

    private static int parseInt(String name, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw HttpRefusal.badRequest(name + " must be a whole number, not '" + v.replaceAll("\\p{Cntrl}", "?") + "'");
        }
    }

    private static int parseMode(String v) {
        if (!v.matches("0?[0-7]{3,4}")) throw HttpRefusal.badRequest("mode must be octal like 0644, not '" + v.replaceAll("\\p{Cntrl}", "?") + "'");
        return Integer.parseInt(v, 8);
    }
}

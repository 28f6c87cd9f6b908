package org.stageforge.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.form.FormData;
import io.undertow.server.handlers.form.FormEncodedDataDefinition;
import io.undertow.server.handlers.form.FormParserFactory;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;
import org.stageforge.server.binhost.BinhostSettings;
import org.stageforge.server.binhost.Binhosts;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.RequestPath;
import org.stageforge.server.core.ResourceModule;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;
import org.stageforge.server.fleet.Fleet;
import org.stageforge.server.releases.Releases;
import org.stageforge.server.snapshots.SnapshotName;
import org.stageforge.server.snapshots.SnapshotStore;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The web dashboard under {@code /ui/}: server-rendered pages of binhosts (packages, sizes, signature state,
 * upload history), package versions, snapshots and release channels, with promote and rollback forms for a
 * logged-in token. Reads are as public as the resources they show (a private binhost needs a session whose
 * token may read it); every POST needs the session's CSRF token and a same-origin {@code Origin} when the
 * browser sends one. {@link Root} redirects {@code /} here.
 */
public final class WebResource implements ResourceModule {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_FORM_BYTES = 16 * 1024;
    /** Upload history shown per binhost: the newest lines of the audit log. */
    private static final int HISTORY = 100;
    private static final FormParserFactory FORMS = FormParserFactory.builder(false)
            .addParsers(new FormEncodedDataDefinition().setDefaultEncoding("UTF-8")).build();
    private static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'";

    private final ServerContext ctx;
    private final Binhosts binhosts;
    private final Sessions sessions;
    private final Signatures signatures;
    private final Releases releases;
    private final SnapshotStore snapshots;
    private final Fleet fleet;
    private final Templates templates = new Templates();

    public WebResource(ServerContext ctx) {
        this.ctx = ctx;
        this.binhosts = new Binhosts(ctx);
        this.sessions = new Sessions(ctx);
        this.signatures = new Signatures(ctx);
        this.releases = new Releases(ctx);
        this.snapshots = new SnapshotStore(ctx);
        this.fleet = new Fleet(ctx, releases::versions);
    }

    /** {@code /}: redirects to the dashboard. */
    public record Root() implements ResourceModule {
        @Override
        public String mount() {
            return "";
        }

        @Override
        public void handle(HttpServerExchange ex, RequestPath rest) {
            redirect(ex, "/ui/");
        }
    }

    @Override
    public String mount() {
        return "ui";
    }

    @Override
    public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
        HttpString method = ex.getRequestMethod();
        boolean post = method.equals(Methods.POST);
        if (!post && !method.equals(Methods.GET) && !method.equals(Methods.HEAD)) throw new HttpRefusal(405, method + " not allowed here");
        if (post) sameOrigin(ex);
        String first = rest.size() == 0 ? "" : rest.get(0);
        Optional<Sessions.Session> session = sessions.current(ex);
        switch (first) {
            case "" -> home(ex, session);
            case "style.css" -> css(ex);
            case "login" -> {
                if (post) login(ex);
                else loginPage(ex, 200, null, ex.getQueryParameters().containsKey("next")
                        ? ex.getQueryParameters().get("next").getFirst() : "/ui/");
            }
            case "logout" -> {
                if (!post) throw new HttpRefusal(405, "log out with POST");
                sessions.requireForm(ex, field(form(ex), "csrf"));
                sessions.logout(ex);
                redirect(ex, "/ui/");
            }
            case "binhosts" -> page(ex, "binhosts", session, "Binhosts", Map.of("binhosts", binhostRows(session)));
            case "binhost" -> {
                if (rest.size() < 2) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
                BinhostSettings b = readable(rest.get(1), session);
                if (rest.size() == 2) binhostPage(ex, session, b);
                else if (rest.get(2).equals("pkg") && rest.size() > 3) packagePage(ex, session, b, rest.tail(3).joined());
                else throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
            }
            case "snapshots" -> snapshotsPage(ex, session);
            case "fleet" -> {
                if (rest.size() != 1 || post) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
                fleetPage(ex, session);
            }
            case "releases" -> {
                if (rest.size() == 1) page(ex, "releases", session, "Releases", Map.of("channels", channelRows()));
                else if (rest.size() == 2 && !post) channelPage(ex, session, rest.get(1));
                else if (rest.size() == 3 && post && rest.get(2).equals("rollback")) rollback(ex, rest.get(1));
                else if (rest.size() == 3 && post && rest.get(2).equals("promote")) promote(ex, rest.get(1));
                else throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
            }
            default -> throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        }
    }

    // ---- pages

    private void home(HttpServerExchange ex, Optional<Sessions.Session> session) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("binhosts", binhostRows(session));
        m.put("channels", channelRows());
        m.put("snapshotCount", snapshotRepos().stream().mapToInt(r -> r.snapshots().size()).sum());
        page(ex, "home", session, "Dashboard", m);
    }

    /** One binhost in a list. */
    record BinhostRow(String name, String href, int packages, String size, boolean requireSignatures, boolean privateReads,
                      String published) {}

    private List<BinhostRow> binhostRows(Optional<Sessions.Session> session) throws IOException {
        List<BinhostRow> out = new ArrayList<>();
        for (String name : ctx.db().query("SELECT name FROM binhosts ORDER BY name", rs -> rs.getString(1))) {
            BinhostSettings b = binhosts.settings(name).orElseThrow();
            if (!mayRead(b, session)) continue;
            Optional<Views.Pointer> p = ctx.views().current(b.view());
            if (p.isEmpty()) continue;
            ViewManifest m = ctx.views().manifest(p.get());
            int count = 0;
            long size = 0;
            for (Map.Entry<String, ViewManifest.Entry> e : m.files().entrySet()) {
                if (isIndex(e.getKey())) continue;
                count++;
                size += e.getValue().size();
            }
            out.add(new BinhostRow(name, "/ui/binhost/" + enc(name), count, size(size), b.requireSignatures(), b.privateReads(),
                    time(p.get().publishedMillis())));
        }
        return out;
    }

    /** One package of a binhost page. */
    record PackageRow(String cpv, String href, String buildId, String size, Signatures.State signature, String uploaded) {}

    /** One line of upload history. */
    record HistoryRow(String time, String action, String object, String token, String result) {}

    private void binhostPage(HttpServerExchange ex, Optional<Sessions.Session> session, BinhostSettings b) throws IOException {
        Views.Pointer p = pointer(b);
        ViewManifest m = ctx.views().manifest(p);
        List<PackageRow> rows = new ArrayList<>();
        long total = 0;
        for (PackagesEntry e : index(b, m).entries()) {
            String path = e.fields().get("PATH");
            ViewManifest.Entry f = path == null ? null : m.get(path);
            if (f == null) continue;
            total += f.size();
            rows.add(new PackageRow(e.cpv(), "/ui/binhost/" + enc(b.name()) + "/pkg/" + encPath(path),
                    e.fields().getOrDefault("BUILD_ID", ""), size(f.size()), signatures.of(f.sha256(), b.keyringSha256()),
                    time(f.mtime() * 1000)));
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("confHref", "/binhost/" + enc(b.name()) + "/binrepos.conf");
        v.put("indexHref", "/binhost/" + enc(b.name()) + "/Packages");
        v.put("requireSignatures", b.requireSignatures());
        v.put("keyring", b.keyringSha256() == null ? "" : "sha256 " + b.keyringSha256());
        v.put("keep", b.keepBuilds() == 0 ? "every build kept" : "newest " + b.keepBuilds() + " build(s) per package version");
        v.put("generation", p.generation());
        v.put("published", time(p.publishedMillis()));
        v.put("packageCount", rows.size());
        v.put("size", size(total));
        v.put("packages", rows);
        v.put("history", history(b.name()));
        page(ex, "binhost", session, "Binhost " + b.name(), v);
    }

    private void packagePage(HttpServerExchange ex, Optional<Sessions.Session> session, BinhostSettings b, String path)
            throws IOException {
        Views.Pointer p = pointer(b);
        ViewManifest m = ctx.views().manifest(p);
        ViewManifest.Entry f = m.get(path);
        PackagesEntry e = isIndex(path) || f == null ? null : index(b, m).entries().stream()
                .filter(x -> path.equals(x.fields().get("PATH"))).findFirst().orElse(null);
        if (e == null) throw HttpRefusal.notFound("no package " + path + " in binhost " + b.name());
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("binhost", b.name());
        v.put("binhostHref", "/ui/binhost/" + enc(b.name()));
        v.put("downloadHref", "/binhost/" + enc(b.name()) + "/" + encPath(path));
        v.put("fileName", path.substring(path.lastIndexOf('/') + 1));
        v.put("path", path);
        v.put("size", size(f.size()));
        v.put("buildId", e.fields().getOrDefault("BUILD_ID", ""));
        v.put("sha256", f.sha256());
        v.put("signature", signatures.of(f.sha256(), b.keyringSha256()));
        String use = e.fields().getOrDefault("USE", "").strip();
        v.put("use", use.isEmpty() ? List.of() : Arrays.asList(use.split("\\s+")));
        List<Map.Entry<String, String>> deps = new ArrayList<>();
        for (String k : List.of("DEPEND", "RDEPEND", "BDEPEND", "PDEPEND", "IDEPEND")) {
            String d = e.fields().get(k);
            if (d != null) deps.add(Map.entry(k, d));
        }
        v.put("deps", deps.stream().map(d -> new Field(d.getKey(), d.getValue())).toList());
        v.put("fields", e.fields().entrySet().stream().map(d -> new Field(d.getKey(), d.getValue())).toList());
        page(ex, "package", session, e.cpv() + " (build " + e.fields().getOrDefault("BUILD_ID", "?") + ")", v);
    }

    /** One machine of the fleet page: what it should run and what it last reported. */
    record MachineRow(String id, String group, String target, String reported, String version, String slot, String health,
                      String healthClass, String judged, String note) {}

    /** One rollout of the fleet page. */
    record RolloutRow(String id, String group, String version, String baseline, String state, String reason, String stage,
                      String admitted, String started) {}

    /** {@code /ui/fleet}: machines and rollouts, for a session whose token administers the fleet (as {@code /fleet/}). */
    private void fleetPage(HttpServerExchange ex, Optional<Sessions.Session> session) throws IOException {
        if (session.isEmpty()) throw new HttpRefusal(401, "the fleet is private: log in first");
        if (!session.get().token().allows("fleet:admin")) {
            throw new HttpRefusal(403, "token " + session.get().token().id() + " lacks scope fleet:admin");
        }
        List<RolloutRow> rollouts = new ArrayList<>();
        for (Fleet.Rollout listed : fleet.rollouts()) {
            Fleet.RolloutStatus st = fleet.status(listed.id());
            Fleet.Rollout r = st.rollout();
            rollouts.add(new RolloutRow(r.id(), r.group(), r.version(), r.baseline().orElse(""), r.state(), r.reason().orElse(""),
                    (r.stage() + 1) + " of " + r.steps().size() + " (" + r.steps().get(Math.min(r.stage(), r.steps().size() - 1)) + " %)",
                    st.admitted().size() + " of " + (st.admitted().size() + st.waiting().size()), time(r.startedMillis())));
        }
        // after the rollouts were evaluated, so the targets are current
        List<MachineRow> machines = new ArrayList<>();
        for (Fleet.MachineState m : fleet.machineStates()) {
            Optional<Fleet.Health> h = m.last();
            String health = h.map(x -> x.healthy().map(ok -> ok ? "healthy" : "unhealthy").orElse("not judged")).orElse("no report");
            machines.add(new MachineRow(m.machine().id(), m.machine().group(), m.target().orElse("channel's current"),
                    h.map(x -> time(x.receivedMillis())).orElse(""), h.map(Fleet.Health::version).orElse(""),
                    h.map(Fleet.Health::slot).orElse(""), health, health.replace(' ', '-'),
                    h.filter(x -> x.healthy().isPresent()).map(Fleet.Health::judged).orElse(""), h.map(WebResource::note).orElse("")));
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("machines", machines);
        v.put("rollouts", rollouts);
        page(ex, "fleet", session, "Fleet", v);
    }

    /** What the machine's report says beyond its health: the controller's fallback, else its first error. */
    private static String note(Fleet.Health h) {
        try {
            JsonNode r = JSON.readTree(h.report());
            if (r == null || !r.isObject()) return "";
            if (r.path("fallback").isTextual() && !r.path("fallback").asText().isEmpty()) return r.path("fallback").asText();
            JsonNode e = r.path("errors");
            return e.isArray() && !e.isEmpty() && e.get(0).isTextual() ? e.get(0).asText() : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** One release channel in a list. */
    record ChannelRow(String name, String href, String current, int releases, String published) {}

    private List<ChannelRow> channelRows() throws IOException {
        List<ChannelRow> out = new ArrayList<>();
        for (String name : releases.channels()) {
            Releases.ChannelState c = releases.channel(name);
            out.add(new ChannelRow(name, "/ui/releases/" + enc(name), c.current().orElse("none"), c.history().size(),
                    c.history().isEmpty() ? "" : time(c.history().get(0).publishedMillis())));
        }
        return out;
    }

    /** One release of a channel page, with the forms the session may use on it. */
    record ReleaseRow(String version, String published, List<FileLink> files, String manifest, boolean current,
                      boolean rollback, String rollbackAction, boolean canPromote, List<String> promoteTargets, String promoteAction) {}

    record FileLink(String name, String href) {}

    private void channelPage(HttpServerExchange ex, Optional<Sessions.Session> session, String name) throws IOException {
        Releases.ChannelState c = releases.channel(name);
        boolean mayWrite = session.map(s -> s.token().allows("channel:" + name + ":write")).orElse(false);
        List<String> targets = session.isEmpty() ? List.of() : releases.channels().stream()
                .filter(t -> !t.equals(name) && session.get().token().allows("channel:" + t + ":write")).toList();
        String base = "/ui/releases/" + enc(name) + "/";
        List<ReleaseRow> rows = new ArrayList<>();
        for (Releases.Release r : c.history()) {
            boolean current = c.current().filter(r.version()::equals).isPresent();
            List<FileLink> files = r.files().stream()
                    .map(f -> new FileLink(f, "/releases/" + enc(name) + "/" + enc(r.version()) + "/" + enc(f))).toList();
            rows.add(new ReleaseRow(r.version(), time(r.publishedMillis()), files, r.manifestSha256(), current,
                    mayWrite && !current, base + "rollback", !targets.isEmpty(), targets, base + "promote"));
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("channel", name);
        v.put("current", c.current().orElse(""));
        v.put("sumsHref", "/releases/" + enc(name) + "/SHA256SUMS");
        v.put("indexHref", "/releases/" + enc(name) + "/index.json");
        v.put("mayWrite", mayWrite);
        v.put("csrf", session.map(Sessions.Session::csrf).orElse(""));
        v.put("releases", rows);
        page(ex, "channel", session, "Channel " + name, v);
    }

    /** The rollback button: the same {@link Releases#rollback} (scope check, audit) as the HTTP API. */
    private void rollback(HttpServerExchange ex, String channel) throws IOException {
        FormData f = form(ex);
        Sessions.Session s = sessions.requireForm(ex, field(f, "csrf"));
        releases.rollback(channel, required(f, "version"), s.token());
        redirect(ex, "/ui/releases/" + enc(channel));
    }

    /** The promote button: {@link Releases#promote} into the chosen channel, which the token must be allowed to write. */
    private void promote(HttpServerExchange ex, String channel) throws IOException {
        FormData f = form(ex);
        Sessions.Session s = sessions.requireForm(ex, field(f, "csrf"));
        String to = required(f, "to");
        releases.promote(channel, to, required(f, "version"), s.token());
        redirect(ex, "/ui/releases/" + enc(to));
    }

    private static String required(FormData f, String name) {
        String v = field(f, name);
        if (v == null || v.isBlank()) throw HttpRefusal.badRequest("the form lacks " + name);
        return v;
    }

    /** A key and its value, for tables. */
    record Field(String key, String value) {}

    /** One repository's snapshots, newest first. */
    record SnapshotRepo(String repo, String latestHref, List<SnapshotRow> snapshots) {}

    record SnapshotRow(String file, String href, String date, String size, String sha256, String published, boolean latest) {}

    /** Every repository's published snapshots (what {@code /snapshots/} serves), from the snapshot store. */
    private List<SnapshotRepo> snapshotRepos() throws IOException {
        List<SnapshotRepo> out = new ArrayList<>();
        for (String repo : snapshots.repos()) {
            List<SnapshotStore.Snapshot> list = snapshots.list(repo);
            List<SnapshotRow> rows = new ArrayList<>();
            for (int i = list.size() - 1; i >= 0; i--) {
                SnapshotStore.Snapshot sn = list.get(i);
                String file = new SnapshotName(repo, sn.date(), "").tarball();
                rows.add(new SnapshotRow(file, "/snapshots/" + enc(file), sn.date(), size(sn.size()), sn.sha256(),
                        time(sn.publishedSeconds() * 1000), i == list.size() - 1));
            }
            out.add(new SnapshotRepo(repo, "/snapshots/" + enc(new SnapshotName(repo, SnapshotName.LATEST, "").tarball()), rows));
        }
        return out;
    }

    private void snapshotsPage(HttpServerExchange ex, Optional<Sessions.Session> session) throws IOException {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("repos", snapshotRepos());
        v.put("keyring", snapshots.keyringSha256().map(k -> "sha256 " + k).orElse(""));
        page(ex, "snapshots", session, "Snapshots", v);
    }

    private void loginPage(HttpServerExchange ex, int status, String error, String next) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("error", error == null ? "" : error);
        v.put("next", safeNext(next));
        html(ex, status, templates.render("login", layout("Log in", Optional.empty(), v)));
    }

    private void login(HttpServerExchange ex) throws IOException {
        FormData f = form(ex);
        String next = safeNext(field(f, "next"));
        try {
            sessions.login(ex, field(f, "token"));
        } catch (HttpRefusal r) {
            loginPage(ex, r.status(), r.getMessage(), next);
            return;
        }
        redirect(ex, next);
    }

    // ---- helpers

    private void page(HttpServerExchange ex, String template, Optional<Sessions.Session> session, String title, Map<String, Object> values) {
        html(ex, 200, templates.render(template, layout(title, session, values)));
    }

    private static Map<String, Object> layout(String title, Optional<Sessions.Session> session, Map<String, Object> values) {
        Map<String, Object> m = new LinkedHashMap<>(values);
        m.put("title", title);
        m.put("session", session.orElse(null));
        return m;
    }

    private BinhostSettings readable(String name, Optional<Sessions.Session> session) {
        BinhostSettings b = binhosts.settings(name).orElseThrow(() -> HttpRefusal.notFound("no binhost " + name));
        if (!mayRead(b, session)) {
            if (session.isEmpty()) throw new HttpRefusal(401, "binhost " + name + " is private: log in first");
            throw new HttpRefusal(403, "token " + session.get().token().id() + " lacks scope binhost:" + name + ":read");
        }
        return b;
    }

    /** The same rule as the binhost's own GETs: private reads need read or write on it (admin allows all). */
    private static boolean mayRead(BinhostSettings b, Optional<Sessions.Session> session) {
        if (!b.privateReads()) return true;
        return session.map(s -> s.token().allows("binhost:" + b.name() + ":read") || s.token().allows("binhost:" + b.name() + ":write"))
                .orElse(false);
    }

    private Views.Pointer pointer(BinhostSettings b) {
        return ctx.views().current(b.view()).orElseThrow(() -> HttpRefusal.notFound("no binhost " + b.name()));
    }

    private PackagesIndex index(BinhostSettings b, ViewManifest m) throws IOException {
        ViewManifest.Entry idx = m.get("Packages");
        if (idx == null) return PackagesIndex.of(Map.of(), List.of());
        return PackagesIndex.parse("binhost " + b.name() + " Packages", ctx.blobs().read(idx.sha256()));
    }

    private static boolean isIndex(String path) {
        return path.equals("Packages") || path.equals("Packages.gz");
    }

    /** The newest audit-log lines about uploads to and deletions from a binhost, newest first. */
    private List<HistoryRow> history(String binhost) throws IOException {
        String prefix = binhost + "/";
        return ctx.audit().newest(n -> n.path("action").asText().startsWith("binhost.")
                        && n.path("object").asText().startsWith(prefix), HISTORY).stream()
                .map(n -> new HistoryRow(n.path("time").asText(), n.path("action").asText(), n.path("object").asText(),
                        n.path("token").asText(""), n.path("result").asText()))
                .toList();
    }

    private void css(HttpServerExchange ex) throws IOException {
        byte[] b;
        try (InputStream in = WebResource.class.getResourceAsStream("style.css")) {
            b = in.readAllBytes();
        }
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/css; charset=UTF-8");
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "max-age=3600");
        send(ex, 200, b);
    }

    private static void html(HttpServerExchange ex, int status, String body) {
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=UTF-8");
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        ex.getResponseHeaders().put(HttpString.tryFromString("Content-Security-Policy"), CSP);
        ex.getResponseHeaders().put(HttpString.tryFromString("X-Content-Type-Options"), "nosniff");
        ex.getResponseHeaders().put(HttpString.tryFromString("X-Frame-Options"), "DENY");
        ex.getResponseHeaders().put(HttpString.tryFromString("Referrer-Policy"), "same-origin");
        send(ex, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpServerExchange ex, int status, byte[] body) {
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        if (ex.getRequestMethod().equals(Methods.HEAD)) ex.endExchange();
        else ex.getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    static void redirect(HttpServerExchange ex, String location) {
        ex.setStatusCode(303);
        ex.getResponseHeaders().put(Headers.LOCATION, location);
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, 0);
        ex.endExchange();
    }

    /** A POST from another origin is refused whatever it carries (the CSRF token is the main defence). */
    private static void sameOrigin(HttpServerExchange ex) {
        String origin = ex.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin != null && !origin.equals(ex.getRequestScheme() + "://" + ex.getHostAndPort())) {
            throw new HttpRefusal(403, "cross-origin form post refused (Origin " + origin + ")");
        }
    }

    static FormData form(HttpServerExchange ex) throws IOException {
        ex.setMaxEntitySize(MAX_FORM_BYTES);
        var parser = FORMS.createParser(ex);
        if (parser == null) throw new HttpRefusal(415, "expected a form (application/x-www-form-urlencoded)");
        return parser.parseBlocking();
    }

    static String field(FormData f, String name) {
        FormData.FormValue v = f.getFirst(name);
        return v == null || v.isFileItem() ? null : v.getValue();
    }

    /** Where to go after logging in: a dashboard path only, never another site. */
    private static String safeNext(String next) {
        return next != null && next.startsWith("/ui/") && !next.contains("\\") && next.chars().noneMatch(c -> c < 0x21 || c == 0x7f)
                ? next : "/ui/";
    }

    static String enc(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String encPath(String path) {
        return String.join("/", Arrays.stream(path.split("/")).map(WebResource::enc).toList());
    }

    static String time(long millis) {
        return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A byte count for humans (binary units). */
    static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}

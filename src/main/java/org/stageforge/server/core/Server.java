package org.stageforge.server.core;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code stageforge serve}: one Undertow server routing the first path segment to a {@link ResourceModule}
 * ({@code /binhost/}, later {@code /snapshots/}, {@code /distfiles/}, {@code /releases/}, {@code /fleet/},
 * {@code /api/}). Every request runs on a worker thread; every refusal is a status with a one-line
 * {@code text/plain} reason.
 */
public final class Server implements AutoCloseable {
    /** How long {@link #close} waits for requests in flight (uploads) to finish. */
    private static final long DRAIN_MILLIS = 60_000;
    private final Undertow undertow;
    private final GracefulShutdownHandler drain;
    private final URI uri;
    private final ServerContext context;

    private Server(Undertow undertow, GracefulShutdownHandler drain, URI uri, ServerContext context) {
        this.undertow = undertow;
        this.drain = drain;
        this.uri = uri;
        this.context = context;
    }

    /** Starts serving the modules on the configured address. */
    public static Server start(ServerContext context, List<ResourceModule> modules) {
        ServerConfig cfg = context.config();
        Map<String, ResourceModule> routes = new TreeMap<>();
        for (ResourceModule m : modules) routes.put(m.mount(), m);
        GracefulShutdownHandler drain = new GracefulShutdownHandler(new Router(routes));
        Undertow.Builder b = Undertow.builder()
                .setServerOption(UndertowOptions.ALLOW_ENCODED_SLASH, false)
                .setHandler(drain);
        if (cfg.tlsCert() != null) b.addHttpsListener(cfg.port(), cfg.host(), Tls.sslContext(cfg.tlsCert(), cfg.tlsKey()));
        else b.addHttpListener(cfg.port(), cfg.host());
        Undertow u = b.build();
        try {
            u.start();
        } catch (RuntimeException e) {
            throw new StageforgeException("cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage(), ExitCodes.FAILURE, e);
        }
        InetSocketAddress a = (InetSocketAddress) u.getListenerInfo().get(0).getAddress();
        String h = a.getAddress().getHostAddress();
        if (h.contains(":")) h = "[" + h + "]";
        return new Server(u, drain, URI.create((cfg.tlsCert() != null ? "https" : "http") + "://" + h + ":" + a.getPort()), context);
    }

    private record Router(Map<String, ResourceModule> routes) implements HttpHandler {
        @Override
        public void handleRequest(HttpServerExchange ex) {
            if (ex.isInIoThread()) {
                ex.dispatch(this);
                return;
            }
            try {
                RequestPath path = RequestPath.parse(rawPath(ex.getRequestURI()));
                // a module mounted at "" answers the bare "/" (the dashboard's redirect)
                ResourceModule m = routes.get(path.size() == 0 ? "" : path.get(0));
                if (m == null) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
                if (m.blocking(ex)) ex.startBlocking();
                m.handle(ex, path.size() == 0 ? path : path.tail(1));
            } catch (HttpRefusal r) {
                refuse(ex, r.status(), r.getMessage());
            } catch (StageforgeException e) {
                refuse(ex, 500, e.getMessage());
            } catch (Exception | Error e) {
                System.err.println("stageforge serve: internal error on " + ex.getRequestMethod() + " " + ex.getRequestURI() + ": " + e);
                e.printStackTrace();
                refuse(ex, 500, "internal error");
            }
        }

        /** The path of an origin-form or absolute-form request target, still percent-encoded. */
        private static String rawPath(String uri) {
            if (uri.startsWith("http://") || uri.startsWith("https://")) {
                int slash = uri.indexOf('/', uri.indexOf("//") + 2);
                return slash < 0 ? "/" : uri.substring(slash);
            }
            return uri;
        }
    }

    /** Sends a refusal unless the response has started already. */
    public static void refuse(HttpServerExchange ex, int status, String reason) {
        if (ex.isResponseStarted()) {
            ex.endExchange();
            return;
        }
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=UTF-8");
        byte[] body = (reason.replaceAll("[\\r\\n]+", " ") + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        if (ex.getRequestMethod().equals(Methods.HEAD)) {
            ex.endExchange();
            return;
        }
        ex.getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    /** Sends a short text answer. */
    public static void text(HttpServerExchange ex, int status, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=UTF-8");
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, b.length);
        if (ex.getRequestMethod().equals(Methods.HEAD)) ex.endExchange();
        else ex.getResponseSender().send(java.nio.ByteBuffer.wrap(b));
    }

    /** The server's base URL, e.g. {@code http://127.0.0.1:43210}. */
    public URI uri() {
        return uri;
    }

    public ServerContext context() {
        return context;
    }

    /** Refuses new requests (503), lets those in flight finish (at most a minute), then stops. */
    @Override
    public void close() {
        drain.shutdown();
        try {
            drain.awaitShutdown(DRAIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        undertow.stop();
    }
}

package org.stageforge.server;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only handler in front of {@link StaticServer}'s file handler: records every request and can,
 * for a given path and a given number of requests, cut the connection after N bytes, stall, serve a
 * flipped byte, answer a fixed status, or ignore the Range header.
 */
public final class FaultHandler implements HttpHandler {
    /** One request as seen by the server. */
    public record Seen(String path, String range, String ifNoneMatch, String ifModifiedSince, String authorization) {}

    private enum Kind { CUT, STALL, CORRUPT, STATUS, IGNORE_RANGE, REDIRECT }

    private record Rule(Kind kind, long arg, String location, AtomicInteger remaining) {}

    private final Path root;
    private final Map<String, Rule> rules = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile HttpHandler next;

    public FaultHandler(Path root) {
        this.root = root;
    }

    /** For {@link StaticServer#start(Path, String, int, java.util.function.UnaryOperator)}. */
    public HttpHandler wrap(HttpHandler files) {
        this.next = files;
        return this;
    }

    public FaultHandler cutAfter(String path, long bytes, int times) { return rule(path, Kind.CUT, bytes, times); }

    public FaultHandler stallAfter(String path, long bytes, int times) { return rule(path, Kind.STALL, bytes, times); }

    public FaultHandler corrupt(String path, long offset, int times) { return rule(path, Kind.CORRUPT, offset, times); }

    public FaultHandler status(String path, int code, int times) { return rule(path, Kind.STATUS, code, times); }

    public FaultHandler ignoreRange(String path, int times) { return rule(path, Kind.IGNORE_RANGE, 0, times); }

    /** Answers 302 with this Location. */
    public FaultHandler redirect(String path, String location, int times) {
        rules.put(path, new Rule(Kind.REDIRECT, 302, location, new AtomicInteger(times)));
        return this;
    }

    private FaultHandler rule(String path, Kind k, long arg, int times) {
        rules.put(path, new Rule(k, arg, null, new AtomicInteger(times)));
        return this;
    }

    public void clear(String path) { rules.remove(path); }

    public List<Seen> seen() { return List.copyOf(seen); }

    public long count(String path) { return seen.stream().filter(s -> s.path().equals(path)).count(); }

    /** Requests for anything but the index. */
    public long packageRequests() { return seen.stream().filter(s -> !s.path().endsWith("/Packages")).count(); }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        if (ex.isInIoThread()) {
            ex.dispatch(this);
            return;
        }
        String path = ex.getRelativePath();
        seen.add(new Seen(path, ex.getRequestHeaders().getFirst(Headers.RANGE),
                ex.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH),
                ex.getRequestHeaders().getFirst(Headers.IF_MODIFIED_SINCE),
                ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION)));
        Rule r = rules.get(path);
        if (r == null || r.remaining().getAndDecrement() <= 0) {
            next.handleRequest(ex);
            return;
        }
        switch (r.kind()) {
            case IGNORE_RANGE -> {
                ex.getRequestHeaders().remove(Headers.RANGE);
                next.handleRequest(ex);
            }
            case STATUS -> {
                ex.setStatusCode((int) r.arg());
                ex.endExchange();
            }
            case REDIRECT -> {
                ex.setStatusCode((int) r.arg());
                ex.getResponseHeaders().put(Headers.LOCATION, r.location());
                ex.endExchange();
            }
            case CUT, STALL, CORRUPT -> {
                byte[] data = Files.readAllBytes(root.resolve(path.substring(1)));
                ex.setStatusCode(200);
                ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, data.length);
                ex.startBlocking();
                OutputStream out = ex.getOutputStream();
                if (r.kind() == Kind.CORRUPT) {
                    data[(int) r.arg()] ^= 0x01;
                    out.write(data);
                    out.close();
                    return;
                }
                out.write(data, 0, (int) r.arg());
                out.flush();
                if (r.kind() == Kind.STALL) Thread.sleep(2000);
                ex.getConnection().close();
            }
        }
    }
}

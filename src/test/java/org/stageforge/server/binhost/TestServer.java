package org.stageforge.server.binhost;

import org.stageforge.server.TestHttp;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** A server on loopback over a temporary data directory, and curl to talk to it. */
final class TestServer implements AutoCloseable {
    final Path data;
    final ServerContext ctx;
    final Binhosts binhosts;
    final Server server;

    TestServer(Path data, long maxUpload) throws IOException {
        this.data = data;
        ctx = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0).withMaxUploadBytes(maxUpload), Clock.systemUTC());
        binhosts = new Binhosts(ctx);
        server = Server.start(ctx, List.of(new BinhostResource(binhosts)));
    }

    URI uri() {
        return server.uri();
    }

    String url(String path) {
        return server.uri() + path;
    }

    String token(String... scopes) {
        return ctx.tokens().create("test", List.of(scopes)).secret();
    }

    /** What a refusal must leave unchanged: every blob file and every view pointer. */
    String state() throws IOException {
        return TestHttp.storedState(ctx, data);
    }

    @Override
    public void close() {
        server.close();
    }
}

package org.stageforge.server.binhost;

import io.undertow.server.HttpServerExchange;
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
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;

import java.io.IOException;

/**
 * {@code /binhost/NAME/…}: GET/HEAD of {@code Packages}, {@code Packages.gz}, the package files and
 * {@code binrepos.conf}; {@code PUT /binhost/NAME/upload/CAT/PF-BUILD_ID.gpkg.tar} to add a package and
 * {@code DELETE} of the same path to remove it (token scope {@code binhost:NAME:write} or {@code admin}).
 */
public final class BinhostResource implements ResourceModule {
    private final Binhosts binhosts;

    public BinhostResource(Binhosts binhosts) {
        this.binhosts = binhosts;
    }

    @Override
    public String mount() {
        return "binhost";
    }

    /** Downloads are sent by Undertow's non-blocking sender; uploads read the body as a stream. */
    @Override
    public boolean blocking(HttpServerExchange ex) {
        return !ex.getRequestMethod().equals(Methods.GET) && !ex.getRequestMethod().equals(Methods.HEAD);
    }

    @Override
    public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
        if (rest.size() < 2) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        ServerContext ctx = binhosts.context();
        BinhostSettings b = binhosts.settings(rest.get(0))
                .orElseThrow(() -> HttpRefusal.notFound("no binhost " + rest.get(0)));
        HttpString method = ex.getRequestMethod();
        if (rest.get(1).equals("upload")) {
            if (method.equals(Methods.PUT) || method.equals(Methods.DELETE)) {
                write(ex, ctx, b, rest);
                return;
            }
            throw new HttpRefusal(405, "upload paths take PUT or DELETE");
        }
        if (!method.equals(Methods.GET) && !method.equals(Methods.HEAD)) throw new HttpRefusal(405, method + " not allowed here");
        if (b.privateReads()) {
            Tokens.Token t = ctx.authenticate(ex);
            if (!t.allows("binhost:" + b.name() + ":read") && !t.allows("binhost:" + b.name() + ":write")) {
                throw new HttpRefusal(403, "token " + t.id() + " lacks scope binhost:" + b.name() + ":read");
            }
        }
        String path = rest.tail(1).joined();
        if (path.equals("binrepos.conf")) {
            Server.text(ex, 200, Binhosts.binreposConf(b, ctx.publicUrl(ex)));
            return;
        }
        // the pointer is read once: everything this request serves comes from one generation
        Views.Pointer p = ctx.views().serving(b.view()).orElseThrow(() -> HttpRefusal.notFound("no binhost " + b.name()));
        ViewManifest.Entry e = ctx.views().manifest(p).get(path);
        if (e == null) throw HttpRefusal.notFound("no " + path + " in binhost " + b.name());
        BlobResource.serve(ex, new BlobResource(ctx.blobFiles(), ctx.blobs().file(e.sha256()), path, e.sha256(),
                p.publishedMillis(), Binhosts.contentType(path)));
    }

    private void write(HttpServerExchange ex, ServerContext ctx, BinhostSettings b, RequestPath rest) throws IOException {
        String action = ex.getRequestMethod().equals(Methods.PUT) ? "binhost.upload" : "binhost.delete";
        String object = b.name() + "/" + rest.tail(2).joined();
        String tokenId = null;
        try {
            Tokens.Token t = ctx.authorize(ex, "binhost:" + b.name() + ":write");
            tokenId = t.id();
            if (rest.size() != 4) throw HttpRefusal.badRequest("expected /binhost/NAME/upload/CAT/PF-BUILD_ID.gpkg.tar");
            Binhosts.UploadName name = Binhosts.uploadName(rest.get(2), rest.get(3));
            if (action.equals("binhost.delete")) {
                long gen = binhosts.delete(b, name);
                ctx.audit().record(tokenId, action, object, "200 generation " + gen);
                Server.text(ex, 200, "deleted " + name.path() + "\n");
                return;
            }
            Uploads.checkDeclaredLength(ex, ctx.config().maxUploadBytes());
            Binhosts.Upload u = binhosts.upload(b, name, ex.getInputStream());
            int status = u.created() ? 201 : 200;
            ctx.audit().record(tokenId, action, object, status + " sha256 " + u.sha256() + " generation " + u.generation());
            ex.getResponseHeaders().put(Headers.LOCATION, "/binhost/" + b.name() + "/" + u.path());
            Server.text(ex, status, u.sha256() + " " + u.path() + "\n");
        } catch (HttpRefusal r) {
            ctx.audit().record(tokenId, action, object, r.status() + " " + r.getMessage());
            throw r;
        }
    }
}

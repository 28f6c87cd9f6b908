package org.stageforge.server.snapshots;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
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
import java.util.Base64;

/**
 * {@code /snapshots/REPO-YYYYMMDD.tar.xz}, {@code .gpgsig}, {@code .md5sum} and the {@code REPO-latest.tar.xz…}
 * names, public GET/HEAD, where Portage's {@code emerge-webrsync} looks with {@code GENTOO_MIRRORS} set to the
 * server's base URL; {@code PUT /snapshots/REPO-YYYYMMDD.tar.xz} uploads one (token scope {@code snapshots:write}),
 * the tarball as the body and its {@code .gpgsig} and {@code .md5sum} base64-encoded in the headers
 * {@value #GPGSIG_HEADER} and {@value #MD5SUM_HEADER}.
 */
public final class SnapshotResource implements ResourceModule {
    public static final String GPGSIG_HEADER = "X-Snapshot-Gpgsig";
    public static final String MD5SUM_HEADER = "X-Snapshot-Md5sum";
    private final SnapshotStore store;

    public SnapshotResource(SnapshotStore store) {
        this.store = store;
    }

    @Override
    public String mount() {
        return "snapshots";
    }

    @Override
    public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
        if (rest.size() != 1) throw HttpRefusal.notFound("not found: " + ex.getRequestPath());
        HttpString method = ex.getRequestMethod();
        String file = rest.get(0);
        if (method.equals(Methods.PUT)) {
            upload(ex, file);
            return;
        }
        if (!method.equals(Methods.GET) && !method.equals(Methods.HEAD)) throw new HttpRefusal(405, method + " not allowed here");
        SnapshotName n = SnapshotName.parse(file).orElseThrow(() -> HttpRefusal.notFound("no snapshot " + file));
        ServerContext ctx = store.context();
        // the pointer is read once: a -latest tarball and its .gpgsig come from one generation
        Views.Pointer p = ctx.views().current(SnapshotName.view(n.repo())).orElseThrow(() -> HttpRefusal.notFound("no snapshot " + file));
        ViewManifest.Entry e = ctx.views().manifest(p).get(file);
        if (e == null) throw HttpRefusal.notFound("no snapshot " + file);
        // a dated file never changes: its Last-Modified is when it was published
        BlobResource.serve(ex, new BlobResource(ctx.blobFiles(), ctx.blobs().file(e.sha256()), file, e.sha256(),
                e.mtime() * 1000, n.suffix().isEmpty() ? "application/x-xz" : n.suffix().equals(".gpgsig")
                ? "application/pgp-signature" : "text/plain; charset=US-ASCII"));
    }

    private void upload(HttpServerExchange ex, String file) throws IOException {
        ServerContext ctx = store.context();
        String tokenId = null;
        try {
            Tokens.Token t = ctx.authorize(ex, "snapshots:write");
            tokenId = t.id();
            SnapshotStore.uploadName(file);
            Uploads.checkDeclaredLength(ex, ctx.config().maxUploadBytes());
            byte[] sig = header(ex, GPGSIG_HEADER);
            byte[] md5 = header(ex, MD5SUM_HEADER);
            store.requireKeyring();
            // everything known before the body is checked: a client waiting on "Expect: 100-continue" may send it now
            if (HttpContinue.requiresContinueResponse(ex)) HttpContinue.sendContinueResponseBlocking(ex);
            SnapshotStore.Publication p = store.upload(file, ex.getInputStream(), sig, md5);
            int status = p.created() ? 201 : 200;
            ctx.audit().record(tokenId, "snapshot.upload", file, status + " sha256 " + p.sha256() + " signer " + p.signer()
                    + " generation " + p.generation() + (p.latest() ? " latest" : ""));
            ex.getResponseHeaders().put(Headers.LOCATION, "/snapshots/" + file);
            Server.text(ex, status, p.sha256() + " " + file + "\n");
        } catch (HttpRefusal r) {
            ctx.audit().record(tokenId, "snapshot.upload", file, r.status() + " " + r.getMessage());
            throw r;
        }
    }

    private static byte[] header(HttpServerExchange ex, String name) {
        String v = ex.getRequestHeaders().getFirst(name);
        if (v == null) throw HttpRefusal.badRequest("missing header " + name + " (the base64 of the snapshot's " +
                (name.equals(GPGSIG_HEADER) ? ".gpgsig" : ".md5sum") + ")");
        try {
            return Base64.getDecoder().decode(v.strip());
        } catch (IllegalArgumentException e) {
            throw HttpRefusal.badRequest("header " + name + " is not base64");
        }
    }
}

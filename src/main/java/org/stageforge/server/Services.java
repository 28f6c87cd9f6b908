package org.stageforge.server;

import org.stageforge.server.binhost.BinhostResource;
import org.stageforge.server.binhost.Binhosts;
import org.stageforge.server.core.Server;
import org.stageforge.server.distfiles.Distfiles;
import org.stageforge.server.distfiles.DistfilesResource;
import org.stageforge.server.fleet.Fleet;
import org.stageforge.server.fleet.FleetResource;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.releases.ReleaseResource;
import org.stageforge.server.releases.Releases;
import org.stageforge.server.snapshots.SnapshotResource;
import org.stageforge.server.snapshots.SnapshotStore;
import org.stageforge.server.web.WebResource;

import java.io.IOException;
import java.time.Clock;
import java.util.List;

/** {@code stageforge serve}: the server with every resource module mounted. */
public final class Services {
    private Services() {}

    public static Server start(ServerConfig config) throws IOException {
        ServerContext ctx = ServerContext.open(config, Clock.systemUTC());
        Releases releases = new Releases(ctx);
        return Server.start(ctx, List.of(new BinhostResource(new Binhosts(ctx)),
                new DistfilesResource(new Distfiles(ctx)),
                new ReleaseResource(releases),
                new SnapshotResource(new SnapshotStore(ctx)),
                new FleetResource(new Fleet(ctx, releases::versions)),
                new WebResource(ctx), new WebResource.Root()));
    }
}

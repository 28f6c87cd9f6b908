package org.stageforge.controller;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.RequestPath;
import org.stageforge.server.core.ResourceModule;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.fleet.Fleet;
import org.stageforge.server.fleet.FleetResource;
import org.stageforge.server.releases.ReleaseClient;
import org.stageforge.server.releases.ReleaseResource;
import org.stageforge.server.releases.Releases;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller takes the fleet's signed configuration bundle: one machine (the exported controller under busybox
 * sh) against {@code stageforge serve} with the release and fleet modules, the bundle signed by a fleet key that
 * differs from the release key ({@code config_keyring}). A new version replaces the kept one; a tampered bundle
 * and one signed by a key the machine does not trust are refused, the previous bundle stays in force.
 */
class FleetConfigTest {
    /** The fleet module, except that config.tar answers with one byte changed while {@code tamper} is set. */
    private static final class Tampering implements ResourceModule {
        private final FleetResource inner;
        private final Fleet fleet;
        volatile boolean tamper;

        Tampering(Fleet fleet) {
            this.fleet = fleet;
            inner = new FleetResource(fleet);
        }

        @Override
        public String mount() {
            return inner.mount();
        }

        @Override
        public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
            if (!tamper || rest.size() != 3 || !rest.get(2).equals("config.tar")) {
                inner.handle(ex, rest);
                return;
            }
            byte[] b = fleet.bundle(rest.get(1)).tar().clone();
            b[512] ^= 1; // the first byte of the first file's content
            ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, b.length);
            ex.getResponseSender().send(ByteBuffer.wrap(b));
        }
    }

    @Test
    void theSignedBundleIsKeptAndATamperedOrStrangeOneIsRefused(@TempDir Path tmp) throws Exception {
        ControllerTest.tools();
        Path bin = ControllerHarness.busyboxBin(tmp.resolve("bin"), false);
        ControllerFiles.export(tmp.resolve("ctl"));
        Path controller = tmp.resolve("ctl/stageforge-controller");
        Date created = new Date(1_700_000_000_000L);
        OpenPgp.GeneratedKey rk = OpenPgp.generate("release <r@example.org>", null, created);
        OpenPgp.SigningKey releaseKey = OpenPgp.SigningKey.load(Files.write(tmp.resolve("release.asc"), rk.secretArmored()), null);
        Path releaseKeyring = Files.write(tmp.resolve("release.gpg"), ControllerHarness.dearmor(rk.publicArmored()));
        OpenPgp.GeneratedKey fk = OpenPgp.generate("fleet <f@example.org>", null, created);
        Path fleetKeyring = Files.write(tmp.resolve("fleet.gpg"), ControllerHarness.dearmor(fk.publicArmored()));

        ServerContext ctx = ServerContext.open(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0), Clock.systemUTC());
        Fleet.importKey(ctx.config().dataDir(), Files.write(tmp.resolve("fleet-secret.asc"), fk.secretArmored()));
        Releases releases = new Releases(ctx);
        releases.createChannel("stable", Files.write(tmp.resolve("release-key.asc"), rk.publicArmored()));
        Fleet fleet = new Fleet(ctx, releases::versions);
        Tampering front = new Tampering(fleet);
        try (Server server = Server.start(ctx, List.of(new ReleaseResource(releases), front))) {
            String url = server.uri().toString().replaceAll("/$", "");
            Path out = Files.createDirectories(tmp.resolve("out"));
            ControllerHarness.writeRelease(out, "1", 64 * 1024, releaseKey);
            new ReleaseClient(URI.create(url), ctx.tokens().create("ci", List.of("channel:stable:write")).secret())
                    .publish(out, "stable", "1", null);
            fleet.setGroup("lab", "stable", null);
            Path d = Files.createDirectories(tmp.resolve("m1"));
            Files.writeString(d.resolve("token"), fleet.addMachine("m1", "lab").token() + "\n");
            Files.writeString(d.resolve("cmdline"), "quiet\n");
            String base = """
                    server = %s
                    channel = stable
                    release_source = fleet
                    keyring = %s
                    slot_a = %s
                    slot_b = %s
                    state_dir = %s
                    machine_id = m1
                    token_file = %s
                    """.formatted(url, releaseKeyring, d.resolve("slot-a.img"), d.resolve("slot-b.img"), d.resolve("state"), d.resolve("token"));
            Path config = Files.writeString(d.resolve("controller.conf"), base + "config_keyring = " + fleetKeyring + "\n");
            FleetRolloutTest.Machine m = new FleetRolloutTest.Machine("m1", d, config);
            Path kept = d.resolve("state/config");

            fleet.setConfig("group", "lab", "etc/hostname", "lab\n".getBytes(StandardCharsets.UTF_8), 0644);
            fleet.setConfig("machine", "m1", "etc/conf.d/net", "config_eth0=dhcp\n".getBytes(StandardCharsets.UTF_8), 0600);
            ControllerHarness.Run r = m.run(bin, controller, "boot");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.decision()).isEqualTo("boot A");
            String v1 = fleet.bundle("m1").version();
            assertThat(v1).isEqualTo("1.1");
            assertThat(m.state()).containsEntry("config_version", v1);
            assertThat(Files.readString(kept.resolve(v1 + "/files/etc/hostname"))).isEqualTo("lab\n");
            assertThat(Files.readString(kept.resolve(v1 + "/files/etc/conf.d/net"))).isEqualTo("config_eth0=dhcp\n");
            assertThat(Files.readAllBytes(kept.resolve(v1 + "/config.tar"))).isEqualTo(fleet.bundle("m1").tar());
            assertThat(Files.readString(d.resolve("state/report.json"))).contains("\"config_version\":\"1.1\"");
            assertThat(r.err()).contains("configuration 1.1: good signature");

            // the machine's own file wins over the group's; the new version replaces the old one
            fleet.setConfig("machine", "m1", "etc/hostname", "m1\n".getBytes(StandardCharsets.UTF_8), 0644);
            r = m.run(bin, controller, "boot");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(m.state()).containsEntry("config_version", "1.2");
            assertThat(Files.readString(kept.resolve("1.2/files/etc/hostname"))).isEqualTo("m1\n");
            try (var s = Files.list(kept)) {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("1.2");
            }
            // an unchanged version is not fetched again
            r = m.run(bin, controller, "boot");
            assertThat(r.err()).contains("configuration 1.2 is current");

            // a tampered bundle: refused and logged, 1.2 stays in force, the boot goes on
            fleet.setConfig("group", "lab", "etc/hostname", "evil\n".getBytes(StandardCharsets.UTF_8), 0644);
            front.tamper = true;
            r = m.run(bin, controller, "boot");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.decision()).isEqualTo("boot A");
            assertThat(r.err()).contains("bad signature on " + url + "/fleet/machines/m1/config.tar")
                    .contains("configuration 2.2 refused, keeping 1.2");
            assertThat(m.state()).containsEntry("config_version", "1.2");
            assertThat(Files.readString(kept.resolve("1.2/files/etc/hostname"))).isEqualTo("m1\n");
            assertThat(kept.resolve("2.2")).doesNotExist();
            assertThat(Files.readString(d.resolve("state/report.json"))).contains("bad signature on").contains("\"config_version\":\"1.2\"");
            assertThat(Files.readString(d.resolve("state/controller.log"))).contains("bad signature on");

            // honest bytes, but the machine trusts only the release key for its configuration: refused too
            front.tamper = false;
            Files.writeString(config, base);
            r = m.run(bin, controller, "boot");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).contains("not signed by a key in " + releaseKeyring);
            assertThat(m.state()).containsEntry("config_version", "1.2");

            // trusted again: 2.2 is taken
            Files.writeString(config, base + "config_keyring = " + fleetKeyring + "\n");
            r = m.run(bin, controller, "boot");
            assertThat(m.state()).containsEntry("config_version", "2.2");
            assertThat(Files.readString(kept.resolve("2.2/files/etc/hostname"))).isEqualTo("m1\n");
        }
    }
}

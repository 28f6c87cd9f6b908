package org.stageforge.controller;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.fleet.Fleet;
import org.stageforge.server.fleet.FleetResource;
import org.stageforge.server.releases.ReleaseClient;
import org.stageforge.server.releases.ReleaseResource;
import org.stageforge.server.releases.Releases;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A staged rollout driven by real controllers: 20 machines (the exported controller under busybox sh, image
 * files as slots) take their release from {@code /fleet/machines/ID/release/} of one server with the release
 * and fleet modules. Release 2 never reports health; the two canaries it reaches report unhealthy cycles, the
 * rollout halts by itself, the canaries are sent back to release 1, and the other 18 never see release 2.
 */
class FleetRolloutTest {
    private static final int MACHINES = 20;

    /** One machine: its controller configuration, slots and state directory. */
    record Machine(String id, Path dir, Path config) {
        ControllerHarness.Run run(Path bin, Path controller, String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(bin.resolve("sh").toString(), controller.toString(),
                    "--config", config.toString(), "--cmdline", dir.resolve("cmdline").toString()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
            pb.environment().clear();
            pb.environment().put("PATH", bin.toString());
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(id + ": controller did not finish");
            }
            return new ControllerHarness.Run(p.exitValue(), Files.readString(dir.resolve("out")), Files.readString(dir.resolve("err")));
        }

        Map<String, String> state() throws IOException {
            Map<String, String> m = new LinkedHashMap<>();
            for (String l : Files.readAllLines(dir.resolve("state/state"))) m.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
            return m;
        }
    }

    @Test
    void failingCanariesHaltTheRolloutAndTheOthersAreUntouched(@TempDir Path tmp) throws Exception {
        ControllerTest.tools();
        Path bin = ControllerHarness.busyboxBin(tmp.resolve("bin"), false);
        ControllerFiles.export(tmp.resolve("ctl"));
        Path controller = tmp.resolve("ctl/stageforge-controller");
        OpenPgp.GeneratedKey k = OpenPgp.generate("release <r@example.org>", null, new Date(1_700_000_000_000L));
        OpenPgp.SigningKey key = OpenPgp.SigningKey.load(Files.write(tmp.resolve("secret.asc"), k.secretArmored()), null);
        Path keyring = Files.write(tmp.resolve("keyring.gpg"), ControllerHarness.dearmor(k.publicArmored()));

        ServerContext ctx = ServerContext.open(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0), Clock.systemUTC());
        Releases releases = new Releases(ctx);
        releases.createChannel("stable", Files.write(tmp.resolve("key.asc"), k.publicArmored()));
        Fleet fleet = new Fleet(ctx, releases::versions);
        try (Server server = Server.start(ctx, List.of(new ReleaseResource(releases), new FleetResource(fleet)))) {
            String url = server.uri().toString().replaceAll("/$", "");
            ReleaseClient publisher = new ReleaseClient(URI.create(url), ctx.tokens().create("ci", List.of("channel:stable:write")).secret());
            Path out = Files.createDirectories(tmp.resolve("out"));
            byte[] r1 = ControllerHarness.writeRelease(out, "1", 64 * 1024, key);
            publisher.publish(out, "stable", "1", null);
            fleet.setGroup("lab", "stable", "1");

            List<Machine> machines = new ArrayList<>();
            for (int i = 0; i < MACHINES; i++) {
                String id = String.format(java.util.Locale.ROOT, "m%02d", i);
                Path d = Files.createDirectories(tmp.resolve(id));
                Files.writeString(d.resolve("token"), fleet.addMachine(id, "lab").token() + "\n");
                Files.writeString(d.resolve("cmdline"), "quiet\n");
                Path config = Files.writeString(d.resolve("controller.conf"), """
                        server = %s
                        channel = stable
                        release_source = fleet
                        keyring = %s
                        slot_a = %s
                        slot_b = %s
                        state_dir = %s
                        machine_id = %s
                        token_file = %s
                        attempt_limit = 2
                        """.formatted(url, keyring, d.resolve("slot-a.img"), d.resolve("slot-b.img"), d.resolve("state"), id,
                        d.resolve("token")));
                machines.add(new Machine(id, d, config));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                // every fresh machine installs release 1 and lives a healthy cycle on it
                everyone(pool, machines, m -> {
                    assertThat(m.run(bin, controller, "boot").decision()).isEqualTo("boot A");
                    m.run(bin, controller, "mark-healthy");
                    m.run(bin, controller, "shutdown-ok");
                });
                // release 2 reaches the channel, but the pinned group stays on 1 until the rollout
                ControllerHarness.writeRelease(Files.createDirectories(tmp.resolve("out2")), "2", 64 * 1024, key);
                publisher.publish(tmp.resolve("out2"), "stable", "2", null);
                String rollout = fleet.startRollout("lab", "2", 10, List.of(100), 0).id();
                List<String> canaries = fleet.status(rollout).admitted();
                assertThat(canaries).hasSize(2);

                // the canaries write 2 into slot B and boot it; release 2 never reports health, so each of their
                // cycles is unhealthy; the first unhealthy report halts the rollout
                for (int boot = 0; boot < 3; boot++) {
                    everyone(pool, machines, m -> {
                        ControllerHarness.Run r = m.run(bin, controller, "boot");
                        assertThat(r.exit()).as(m.id() + ": " + r.err()).isZero();
                        if (!canaries.contains(m.id())) {
                            m.run(bin, controller, "mark-healthy");
                            m.run(bin, controller, "shutdown-ok");
                        }
                    });
                }
                Fleet.RolloutStatus s = fleet.status(rollout);
                assertThat(s.rollout().state()).isEqualTo("halted");
                assertThat(s.rollout().reason()).hasValueSatisfying(r -> assertThat(r).contains("unhealthy cycle on version 2"));
                for (Machine m : machines) {
                    Map<String, String> st = m.state();
                    assertThat(Files.readAllBytes(m.dir().resolve("slot-a.img"))).as(m.id()).isEqualTo(r1);
                    assertThat(st.get("active")).as(m.id()).isEqualTo("A");
                    if (canaries.contains(m.id())) {
                        assertThat(st.get("b_version")).as(m.id()).isEqualTo("2");
                    } else {
                        // untouched: slot B never written, every cycle healthy on 1
                        assertThat(st.get("b_status")).as(m.id()).isEqualTo("empty");
                        assertThat(Files.exists(m.dir().resolve("slot-b.img")) ? Files.size(m.dir().resolve("slot-b.img")) : 0L)
                                .as(m.id()).isZero();
                        assertThat(st.get("last_health")).as(m.id()).isEqualTo("healthy");
                    }
                    assertThat(fleet.target(fleet.machine(m.id()))).as(m.id()).hasValue("1");
                }
                assertThat(fleet.machineStates()).allSatisfy(ms -> assertThat(ms.last()).isPresent());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private interface Step {
        void run(Machine m) throws Exception;
    }

    /** Runs {@code step} on every machine, in parallel as a fleet would, and waits for all. */
    private static void everyone(ExecutorService pool, List<Machine> machines, Step step) throws Exception {
        List<Future<?>> fs = new ArrayList<>();
        for (Machine m : machines) {
            fs.add(pool.submit(() -> {
                step.run(m);
                return null;
            }));
        }
        for (Future<?> f : fs) f.get(10, TimeUnit.MINUTES);
    }
}

package org.stageforge.controller;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.controller.ControllerHarness.Run;

import static org.stageforge.controller.ControllerHarness.Backend.SERVE;
import static org.stageforge.controller.ControllerHarness.Backend.STATIC;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The update controller (controller/stageforge-controller) under busybox sh, rootless: image files as slots, a
 * state directory, a real HTTP server on loopback serving a signed release channel.
 */
class ControllerTest {
    static final int SIZE = 256 * 1024;

    @BeforeAll
    static void tools() {
        for (String t : List.of("busybox", "gpgv")) {
            Assumptions.assumeTrue(tool(t) != null, t + " is not installed (Debian busybox-static, gpgv)");
        }
    }

    static Path tool(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"wget", "curl"})
    void freshMachineGetsTheReleaseAndANewReleaseGoesToTheSpareSlot(String fetcher, @TempDir Path dir) throws Exception {
        boolean curl = fetcher.equals("curl");
        if (curl) Assumptions.assumeTrue(tool("curl") != null, "curl is not installed");
        try (ControllerHarness m = new ControllerHarness(dir, SERVE, curl)) {
            byte[] r1 = m.publish("1", SIZE);
            Run first = m.boot();
            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(first.decision()).isEqualTo("boot A");
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
            assertThat(m.state()).containsEntry("active", "A").containsEntry("a_status", "ready").containsEntry("a_version", "1");
            assertThat(first.err()).contains("good signature");
            m.healthyCycle();

            byte[] r2 = m.publish("2", SIZE + 4096);
            Run second = m.boot();
            assertThat(second.decision()).as(second.err()).isEqualTo("boot B");
            assertThat(Files.readAllBytes(m.slotB)).isEqualTo(r2);
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
            assertThat(m.state()).containsEntry("active", "B").containsEntry("backup", "A")
                    .containsEntry("a_status", "good").containsEntry("b_status", "ready").containsEntry("b_version", "2");
            m.healthyCycle();

            // up to date: no download, same slot
            long downloads = m.faults.count("/releases/stable/" + ControllerHarness.imageName("2"));
            Run third = m.boot();
            assertThat(third.decision()).isEqualTo("boot B");
            assertThat(third.err()).contains("slot B already runs version 2");
            assertThat(m.faults.count("/releases/stable/" + ControllerHarness.imageName("2"))).isEqualTo(downloads);
            assertThat(m.state()).containsEntry("b_status", "good").containsEntry("backup", "B").containsEntry("last_health", "healthy");

            // each boot reported, with the machine token
            assertThat(m.posts).hasSize(3);
            ControllerHarness.Post last = m.posts.get(2);
            assertThat(last.path()).isEqualTo("/fleet/machines/m1/health");
            assertThat(last.authorization()).isEqualTo("Bearer " + ControllerHarness.TOKEN);
            assertThat(last.body()).contains("\"slot\":\"B\"", "\"version\":\"2\"", "\"last_cycle\":\"healthy\"", "\"errors\":[]");
            assertThat(last.body().strip()).isEqualTo(Files.readString(m.state.resolve("report.json")).strip());
            assertThat(m.log()).contains("switching from slot A to slot B (version 2)");
        }
    }

    @Test
    void tamperedImageBadSignatureAndTruncatedDownloadAreRefused(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, STATIC, false)) {
            byte[] r1 = installed(m);
            byte[] r2 = m.publish("2", SIZE);
            String image = "/releases/stable/" + ControllerHarness.imageName("2");

            // bad signature: the list is signed by a key not in the keyring; nothing is written anywhere
            m.sign(ControllerHarness.otherKey(dir));
            Run badSig = m.boot();
            assertThat(badSig.decision()).isEqualTo("boot A");
            assertThat(badSig.err()).contains("bad signature");
            assertThat(Files.exists(m.slotB)).isFalse();
            assertThat(m.faults.count(image)).isZero();
            // a list changed after signing
            m.publish("2", SIZE);
            Files.writeString(m.www.resolve("SHA256SUMS"), Files.readString(m.www.resolve("SHA256SUMS")).replace("os_2", "os_3"));
            Run changed = m.boot();
            assertThat(changed.decision()).isEqualTo("boot A");
            assertThat(changed.err()).contains("bad signature");
            assertThat(Files.exists(m.slotB)).isFalse();
            m.healthyCycle();

            // tampered image: served bytes differ from the signed sha256
            m.publish("2", SIZE);
            m.faults.corrupt(image, 1000, 1);
            Run tampered = m.boot();
            assertThat(tampered.decision()).isEqualTo("boot A");
            assertThat(tampered.err()).contains("slot B: the written image (" + SIZE + " bytes) has sha256");
            assertRefused(m, r1);
            m.healthyCycle();

            // truncated download: the connection drops halfway
            m.faults.cutAfter(image, SIZE / 2, 1);
            Run cut = m.boot();
            assertThat(cut.decision()).isEqualTo("boot A");
            assertThat(cut.err()).contains("download of " + m.url() + image + " failed");
            assertRefused(m, r1);
            m.healthyCycle();

            // the report names the refusal
            assertThat(m.posts.get(m.posts.size() - 1).body()).contains("\"slot\":\"A\"", "failed after");

            // a server error is like no server; a refused health report does not stop the boot
            int posts = m.posts.size();
            m.faults.status("/releases/stable/SHA256SUMS", 500, 1);
            Run failing = m.boot();
            assertThat(failing.decision()).isEqualTo("boot A");
            assertThat(failing.err()).contains("cannot fetch " + m.url() + "/releases/stable/SHA256SUMS");
            assertThat(m.posts).hasSize(posts);
            m.healthyCycle();
            m.postStatus = 503;

            // once the server serves the release intact, it is installed
            Run ok = m.boot();
            assertThat(ok.exit()).isZero();
            assertThat(ok.decision()).isEqualTo("boot B");
            assertThat(ok.err()).contains("health report to " + m.url() + "/fleet/machines/m1/health failed");
            assertThat(Files.readAllBytes(m.slotB)).isEqualTo(r2);
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
        }
    }

    private static void assertRefused(ControllerHarness m, byte[] r1) throws IOException {
        assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
        assertThat(m.state()).containsEntry("active", "A").containsEntry("a_status", "good").containsEntry("b_status", "bad");
    }

    /** Release 1 installed in slot A and through one healthy cycle. */
    private static byte[] installed(ControllerHarness m) throws Exception {
        byte[] r1 = m.publish("1", SIZE);
        Run r = m.boot();
        assertThat(r.decision()).as(r.err()).isEqualTo("boot A");
        m.healthyCycle();
        return r1;
    }

    @Test
    void killedTwentyTimesDuringTheSlotWriteBootsTheOldSystemAndRetries(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, STATIC, false)) {
            byte[] r1 = installed(m);
            int size = 1024 * 1024;
            byte[] r2 = m.publish("2", size);
            Files.writeString(m.cmdline, "quiet\n");
            // 8 KiB per 10 ms: over 1.3 s per download, so even a starved poller sees each point before the end
            m.throttle = 8 * 1024;
            List<Long> killedAt = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                long point = (long) size * i / 21;
                Process p = m.start("boot");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (p.isAlive() && (!Files.exists(m.slotB) || Files.size(m.slotB) < point) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertThat(p.isAlive()).as("controller still writing at point " + i).isTrue();
                m.killGroup(p);
                killedAt.add(Files.size(m.slotB));

                // the active slot is untouched and the spare not bootable
                assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
                Map<String, String> s = m.state();
                assertThat(s).containsEntry("active", "A").containsEntry("a_status", "good").containsEntry("b_status", "writing");

                // the next boot without the server boots the old system
                Files.writeString(m.cmdline, "quiet stageforge.server=http://127.0.0.1:1\n");
                Run offline = m.boot();
                assertThat(offline.decision()).as(offline.err()).isEqualTo("boot A");
                assertThat(offline.err()).contains("slot B was being written when the controller last stopped");
                m.healthyCycle();
                Files.writeString(m.cmdline, "quiet\n");
            }
            for (int i = 0; i < killedAt.size(); i++) {
                assertThat(killedAt.get(i)).isGreaterThanOrEqualTo((long) size * (i + 1) / 21).isLessThan(size);
            }
            m.throttle = 0;
            Run retry = m.boot();
            assertThat(retry.decision()).as(retry.err()).isEqualTo("boot B");
            assertThat(Files.readAllBytes(m.slotB)).isEqualTo(r2);
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
        }
    }

    @Test
    void unhealthyCyclesFallBackToTheBackupSlot(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, SERVE, false)) {
            byte[] r1 = installed(m);
            m.publish("2", SIZE);
            assertThat(m.boot().decision()).isEqualTo("boot B");
            // release 2 never reports health: attempts 1 and 2 boot it again, the third deprives it
            for (int attempt = 1; attempt <= 2; attempt++) {
                Run r = m.boot();
                assertThat(r.decision()).isEqualTo("boot B");
                assertThat(m.state()).containsEntry("b_attempts", String.valueOf(attempt)).containsEntry("b_status", "ready");
            }
            m.run("mark-healthy"); // healthy start, but no clean shutdown: still unhealthy
            Run fallback = m.boot();
            assertThat(fallback.decision()).isEqualTo("boot A");
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
            assertThat(m.state()).containsEntry("active", "A").containsEntry("b_status", "deprived")
                    .containsEntry("deprived_versions", "2").containsEntry("b_attempts", "3");
            String report = m.posts.get(m.posts.size() - 1).body();
            assertThat(report).contains("\"slot\":\"A\"", "\"version\":\"1\"",
                    "\"last_cycle\":\"unhealthy: no clean-shutdown marker (cycle 4, slot B, version 2, attempt 3 of 3)\"",
                    "\"last_cycle_version\":\"2\"",
                    "\"fallback\":\"slot B (version 2) deprived; falling back to backup slot A (version 1)\"",
                    "slot B (version 2) DEPRIVED after 3 unhealthy cycles");
            assertThat(report.strip()).isEqualTo(Files.readString(m.state.resolve("report.json")).strip());

            // the deprived release is not installed again, the backup stays
            m.healthyCycle();
            Run again = m.boot();
            assertThat(again.decision()).isEqualTo("boot A");
            assertThat(again.err()).contains("version 2 was deprived on this machine");
            m.healthyCycle();
            // a new release goes into the deprived slot
            byte[] r3 = m.publish("3", SIZE);
            assertThat(m.boot().decision()).isEqualTo("boot B");
            assertThat(Files.readAllBytes(m.slotB)).isEqualTo(r3);
        }
    }

    @Test
    void anUnhealthySlotDoesNotOverwriteTheBackup(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, SERVE, false)) {
            byte[] r1 = installed(m);
            m.publish("2", SIZE);
            assertThat(m.boot().decision()).isEqualTo("boot B");
            m.publish("3", SIZE);
            Run r = m.boot();
            assertThat(r.decision()).isEqualTo("boot B");
            assertThat(r.err()).contains("slot B has not completed a healthy cycle yet; not overwriting the backup slot A");
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
        }
    }

    @Test
    void serverDownBootsWhatIsInstalled(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, SERVE, false)) {
            byte[] r1 = installed(m);
            m.publish("2", SIZE);
            m.stop();
            Run down = m.boot();
            assertThat(down.exit()).isZero();
            assertThat(down.decision()).isEqualTo("boot A");
            assertThat(down.err()).contains("cannot fetch " + m.url() + "/releases/stable/SHA256SUMS");
            assertThat(Files.readString(m.state.resolve("report.json"))).contains("\"slot\":\"A\"", "\"last_cycle\":\"healthy\"");
            m.healthyCycle();
            // back up: the release is installed
            m.start();
            Run up = m.boot();
            assertThat(up.decision()).isEqualTo("boot B");
            assertThat(Files.readAllBytes(m.slotA)).isEqualTo(r1);
        }
    }

    @Test
    void aFreshMachineWithoutNetworkHasNothingToBoot(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, SERVE, false)) {
            m.stop();
            Run r = m.boot();
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).contains("no bootable slot");
        }
    }

    @Test
    void badConfigurationAndUsage(@TempDir Path dir) throws Exception {
        try (ControllerHarness m = new ControllerHarness(dir, SERVE, false)) {
            Files.writeString(m.config, Files.readString(m.config) + "slot_c = /dev/null\n");
            Run unknown = m.boot();
            assertThat(unknown.exit()).isEqualTo(3);
            assertThat(unknown.err()).contains(m.config + ": unknown key 'slot_c'");
            assertThat(m.run("reboot").exit()).isEqualTo(2);
            assertThat(m.run().exit()).isEqualTo(2);
            Files.writeString(m.config, "server = x\n");
            Run missing = m.boot();
            assertThat(missing.exit()).isEqualTo(3);
            assertThat(missing.err()).contains("'slot_a' is required");
        }
    }
}

package org.stageforge.pipeline;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.fleet.Fleet;
import org.stageforge.server.releases.ReleaseClient;
import org.stageforge.server.releases.Releases;
import org.stageforge.spec.SpecParser;
import org.stageforge.util.Dirs;

import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.pipeline.BootPackages.*;

/**
 * Issue 12's two-release scenario in QEMU, end to end: three releases of one stage built by specs from packages
 * made of Debian's .debs (busybox-static, gpgv and its libraries, a trimmed linux-image-amd64, systemd-boot-efi),
 * with {@code [kernel] initramfs_controller = true} and {@code [controller] release_source = "fleet"}, so the
 * stageforge controller in the initramfs (network by DHCP on a virtio NIC, gpgv with the libraries the initramfs
 * followed) updates the machine from a real {@code stageforge serve} on the host's loopback (10.0.2.2 for the
 * guest). Release 1's disk image boots and takes release 1 from the channel; release 2 is published and the next
 * boot runs it from the other slot, with /etc, /var/log and /tmp on tmpfs and the fleet's configuration file in
 * /etc; release 3's init never marks its cycle healthy, so after {@code attempt_limit = 2} cycles the controller
 * deprives it and the machine runs release 2 again, which the fleet API, the dashboard and the disk's state show.
 * Each release's init prints what it sees on the serial console; the consoles are kept in
 * {@code target/controller-qemu/}.
 */
class ControllerQemuTest {
    static final Path LOGS = Path.of("target/controller-qemu").toAbsolutePath();
    static final int ESP = 64;
    static final int ROOT = 64;

    @Test
    void releaseTwoRunsFromTheOtherSlotAndAnUnhealthyReleaseThreeFallsBackToIt() throws Exception {
        String skip = missing(List.of("apt-get", "dpkg-deb", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "sfdisk",
                "mkfs.erofs", "fakeroot", "readelf"));
        if (skip == null) skip = qemuMissing();
        if (skip == null) skip = fetch("done", List.of("busybox-static", "linux-image-amd64", "systemd-boot-efi"));
        if (skip == null) skip = fetch("done-gpgv", List.of("gpgv", "libgcrypt20", "libgpg-error0", "libc6", "zlib1g", "libbz2-1.0"));
        Assumptions.assumeTrue(skip == null, skip);
        Dirs.deleteTree(LOGS);
        Files.createDirectories(LOGS);
        Path work = Files.createTempDirectory("stageforge-e2e");
        try (Server server = Services.start(ServerConfig.of(work.resolve("data"), "127.0.0.1", 0))) {
            scenario(work, server);
        } finally {
            Dirs.deleteTree(work);
        }
    }

    private void scenario(Path work, Server server) throws Exception {
        long t0 = System.nanoTime();
        // the server: a channel signed by the release key, which also signs the fleet's configuration bundles
        OpenPgp.GeneratedKey key = OpenPgp.generate("stageforge e2e <e2e@example.org>", null, new Date(1_700_000_000_000L));
        Path secret = Files.write(work.resolve("release-secret.asc"), key.secretArmored());
        Path pub = Files.write(work.resolve("release.asc"), key.publicArmored());
        Releases releases = new Releases(server.context());
        releases.createChannel("stable", pub);
        Fleet.importKey(server.context().config().dataDir(), secret);
        Fleet fleet = new Fleet(server.context(), releases::versions);
        fleet.setGroup("lab", "stable", null);
        String machineToken = fleet.addMachine("vm1", "lab").token();
        fleet.setConfig("group", "lab", "etc/fleet/motd", "hello from the fleet\n".getBytes(StandardCharsets.UTF_8), 0644);
        ReleaseClient publisher = new ReleaseClient(server.uri(), server.context().tokens().create("ci", List.of("channel:stable:write")).secret());
        String guestUrl = "http://10.0.2.2:" + server.uri().getPort();

        // the three releases, each built once
        Path common = work.resolve("packages");
        String kver = packages(common, machineToken);
        Map<Integer, Path> out = new LinkedHashMap<>();
        for (int n = 1; n <= 3; n++) out.put(n, release(work, common, n, guestUrl, secret, pub));
        long built = System.nanoTime();

        // release 1: the disk image as built; its first boot takes release 1 from the fleet into slot A
        publisher.publish(out.get(1), "stable", "1", null);
        Path disk = work.resolve("machine.raw");
        Files.copy(out.get(1).resolve("e2e-1.disk.raw"), disk);
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars.fd"));
        Qemu qemu = new Qemu(true);
        String c1 = boot(qemu, disk, vars, 1);
        assertThat(c1).contains("stageforge-controller: info: network: eth0 has 10.0.2.15/24",
                guestUrl + "/fleet/machines/vm1/release/SHA256SUMS: good signature",
                "writing e2e_1.root.erofs (version 1) into slot A", "configuration 1.0: good signature",
                "RELEASE-1 slot=A kernel=" + kver);
        assertThat(fleet.lastHealth("vm1").orElseThrow().version()).isEqualTo("1");

        // release 2 is published: the next boot writes it into slot B and runs it, stateless, with the fleet's file
        publisher.publish(out.get(2), "stable", "2", null);
        String c2 = boot(qemu, disk, vars, 2);
        assertThat(c2).contains("last cycle 1 on slot A (version 1) was healthy",
                "writing e2e_2.root.erofs (version 2) into slot B", "switching from slot A to slot B (version 2)",
                "RELEASE-2 slot=B", "MOUNT tmpfs /etc tmpfs", "MOUNT tmpfs /var/log tmpfs", "MOUNT tmpfs /tmp tmpfs",
                "FLEET hello from the fleet", "ROOT-RO yes");
        var h2 = fleet.lastHealth("vm1").orElseThrow();
        assertThat(h2.version()).isEqualTo("2");
        assertThat(h2.slot()).isEqualTo("B");

        // release 3 never marks its cycles healthy: two attempts, then it is deprived and slot B (release 2) boots
        publisher.publish(out.get(3), "stable", "3", null);
        String c3 = boot(qemu, disk, vars, 3);
        assertThat(c3).contains("last cycle 2 on slot B (version 2) was healthy; slot B is the backup",
                "writing e2e_3.root.erofs (version 3) into slot A", "RELEASE-3 slot=A").doesNotContain("RELEASE-2");
        String c4 = boot(qemu, disk, vars, 4);
        assertThat(c4).contains("no healthy marker, no clean-shutdown marker (cycle 3, slot A, version 3, attempt 1 of 2)",
                "slot A already runs version 3", "RELEASE-3 slot=A");
        String c5 = boot(qemu, disk, vars, 5);
        assertThat(c5).contains("(cycle 4, slot A, version 3, attempt 2 of 2)", "slot A (version 3) DEPRIVED after 2 unhealthy cycles",
                "slot A (version 3) deprived; falling back to backup slot B (version 2)",
                "version 3 was deprived on this machine; not installing it again", "RELEASE-2 slot=B", "FLEET hello from the fleet")
                .doesNotContain("RELEASE-3");
        long booted = System.nanoTime();

        // the server: the fleet API and the dashboard show the machine back on release 2 after release 3's failed cycles
        var h = fleet.lastHealth("vm1").orElseThrow();
        assertThat(h.version()).isEqualTo("2");
        assertThat(h.slot()).isEqualTo("B");
        assertThat(h.healthy()).contains(false);
        assertThat(h.judged()).isEqualTo("3");
        assertThat(h.report()).contains("\"fallback\":\"slot A (version 3) deprived; falling back to backup slot B (version 2)\"",
                "DEPRIVED after 2 unhealthy cycles", "\"config_version\":\"1.0\"");
        String admin = server.context().tokens().create("ops", List.of("fleet:admin")).secret();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> machines = http.send(HttpRequest.newBuilder(URI.create(server.uri() + "/fleet/machines"))
                .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(machines.statusCode()).isEqualTo(200);
        assertThat(machines.body()).contains("\"vm1\"").containsPattern("\"version\"\\s*:\\s*\"2\"").containsPattern("\"slot\"\\s*:\\s*\"B\"");
        String page = dashboard(http, server, admin);
        assertThat(page).contains("<td>vm1</td><td>lab</td>")
                .contains("<td>2</td><td>B</td><td class=\"health unhealthy\">unhealthy</td><td>3</td>"
                        + "<td>slot A (version 3) deprived; falling back to backup slot B (version 2)</td>");

        // the state partition, read from the disk image
        String state = stateFile(work, disk);
        assertThat(state).contains("active=B\n", "backup=B\n", "a_status=deprived\n", "a_version=3\n", "b_status=good\n",
                "b_version=2\n", "deprived_versions=3\n", "config_version=1.0\n");
        System.out.printf("ControllerQemuTest: builds %d s, five boots %d s%n", (built - t0) / 1_000_000_000L, (booted - built) / 1_000_000_000L);
    }

    private static String boot(Qemu qemu, Path disk, Path vars, int n) throws Exception {
        Path log = LOGS.resolve("serial-" + n + ".log");
        String out = qemu.boot(disk, vars, log, 180);
        assertThat(out).as("serial console of boot %d (%s)", n, log).contains("RELEASE-").contains("POWEROFF");
        return out;
    }

    /**
     * The packages every release shares: busybox (with the mount points the controller hands over), gpgv with the
     * Debian libraries it links, the kernel, systemd-boot. Returns the kernel version.
     */
    private static String packages(Path sources, String token) throws Exception {
        Path bb = unpack(find(DEBS, "busybox-static_"), sources.resolve("sys-apps/busybox-boot-1.0/image"));
        for (String dir : List.of("dev", "proc", "sys", "run", "tmp", "var/log", "etc/fleet")) {
            Files.writeString(Files.createDirectories(bb.resolve(dir)).resolve(".keep"), "");
        }
        Files.createSymbolicLink(bb.resolve("bin/sh"), Path.of("busybox"));
        // [controller] installs its health service for OpenRC or systemd; this root has neither, its init does the
        // service's work (mark-healthy, shutdown-ok), so an empty openrc-run stands in for OpenRC
        script(bb.resolve("sbin/openrc-run"), "#!/bin/sh\nexit 0\n");
        // the machine's own controller configuration: its id and token, the slots for the booted system's markers
        Files.createDirectories(bb.resolve("etc/stageforge/config.d"));
        Files.writeString(bb.resolve("etc/stageforge/config.d/60-machine.conf"), """
                machine_id = vm1
                token_file = /etc/stageforge/token
                attempt_limit = 2
                slot_a = /dev/disk/by-partlabel/SYSFS
                slot_b = /dev/disk/by-partlabel/BACKUPFS
                state_dir = /run/stageforge/state
                """);
        Files.writeString(bb.resolve("etc/stageforge/token"), token + "\n");
        meta(sources.resolve("sys-apps/busybox-boot-1.0/metadata"), "sys-apps", "busybox-boot-1.0", "");

        // gpgv and the libraries it needs, as Debian ships them (the loader in /lib64 a symlink into /lib/x86_64-linux-gnu)
        Path g = sources.resolve("app-crypt/debian-gpgv-1.0/image");
        for (String p : List.of("gpgv_", "libgcrypt20_", "libgpg-error0_", "libc6_", "zlib1g_", "libbz2-1.0_")) {
            Path u = unpack(find(DEBS, p), sources.resolve("unpacked/" + p));
            Dirs.deleteTree(u.resolve("usr/share"));
            Dirs.deleteTree(u.resolve("usr/lib/x86_64-linux-gnu/gconv"));
            copyTree(u, g);
        }
        Dirs.deleteTree(sources.resolve("unpacked"));
        meta(sources.resolve("app-crypt/debian-gpgv-1.0/metadata"), "app-crypt", "debian-gpgv-1.0", "");

        List<String> modules = new ArrayList<>(DISK_MODULES);
        modules.addAll(List.of("kernel/fs/ext4", "kernel/fs/jbd2", "kernel/fs/mbcache.ko", "kernel/lib/crc16.ko",
                "kernel/drivers/net/virtio_net.ko", "kernel/drivers/net/net_failover.ko", "kernel/net/core/failover.ko"));
        String kver = kernel(sources, sources.getParent(), modules);
        Dirs.deleteTree(sources.getParent().resolve("kernel-full"));
        systemdBoot(sources);
        return kver;
    }

    /** Release {@code n}: the shared packages plus its init, built by its spec; returns the output directory. */
    private static Path release(Path work, Path common, int n, String server, Path secret, Path pub) throws Exception {
        Path dir = work.resolve("release-" + n);
        copyTree(common, dir.resolve("packages"));
        writeRepo(dir.resolve("repo"));
        Files.copy(secret, dir.resolve("release-secret.asc"));
        Files.copy(pub, dir.resolve("release.asc"));
        // the init: what the booted system sees, then (releases 1 and 2) the health markers, then power off
        String health = n == 3 ? "echo \"not reporting health\"\n" : """
                stageforge-controller --config /etc/stageforge/config.d mark-healthy
                stageforge-controller --config /etc/stageforge/config.d shutdown-ok
                """;
        Path init = dir.resolve("packages/app-misc/release-init-1.0/image/sbin/init");
        script(init, """
                #!/bin/sh
                # the root is read-only: busybox's applets go to the tmpfs /tmp
                /bin/busybox mkdir -p /tmp/bin
                /bin/busybox --install -s /tmp/bin
                export PATH=/tmp/bin:/usr/bin:/bin
                echo "RELEASE-%d slot=$(sed -n 's/^cycle_slot=//p' /run/stageforge/state/state) kernel=$(uname -r)"
                grep -E '^[^ ]+ /(etc|var/log|tmp) ' /proc/mounts | sed 's/^/MOUNT /'
                echo "FLEET $(cat /etc/fleet/motd)"
                if touch /usr/.probe 2>/dev/null; then echo "ROOT-RO no"; else echo "ROOT-RO yes"; fi
                %s
                umount /run/stageforge/state
                echo POWEROFF
                poweroff -f
                """.formatted(n, health));
        meta(dir.resolve("packages/app-misc/release-init-1.0/metadata"), "app-misc", "release-init-1.0", "");
        Files.writeString(dir.resolve("spec.toml"), """
                profile = "test"
                world = ["sys-apps/busybox-boot", "app-crypt/debian-gpgv", "app-misc/release-init", "sys-kernel/debian-kernel", "sys-boot/systemd-boot-efi"]
                system = false
                phases = false

                [stage]
                name = "e2e"
                version = "%d"

                [repo]
                path = "repo"

                [[binhost]]
                sources = "packages"

                [kernel]
                package = "sys-kernel/debian-kernel"
                initramfs_controller = true
                initramfs_modules = ["virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic", "erofs", "ext4"]

                [controller]
                server = "%s"
                channel = "stable"
                keyring = "release.asc"
                release_source = "fleet"

                [output]
                formats = %s
                signing_key = "release-secret.asc"

                [output.disk]
                esp_size = %d
                root_size = %d
                state_size = 16
                root_fs = "erofs"
                cmdline = "console=ttyS0 panic=-1 loglevel=4 no_timer_check"
                """.formatted(n, server, n == 1 ? "[\"erofs\", \"disk\"]" : "[\"erofs\"]", ESP, ROOT));
        Path out = dir.resolve("out");
        Build.run(SpecParser.parse(dir.resolve("spec.toml")), BuildOptions.of(dir.resolve("build"), out), Reporter.silent(dir.resolve("logs")));
        Dirs.deleteTree(dir.resolve("build"));
        return out;
    }

    private static String dashboard(HttpClient http, Server s, String token) throws Exception {
        HttpResponse<String> in = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        String c = in.headers().firstValue("Set-Cookie").orElseThrow();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/fleet"))
                .header("Cookie", c.substring(0, c.indexOf(';'))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        return page.body();
    }

    /** The controller's state file from the disk's STATE partition (after the ESP and the two slots). */
    private static String stateFile(Path work, Path disk) throws Exception {
        Path part = work.resolve("state.img");
        byte[] b = new byte[16 << 20];
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "r")) {
            f.seek((long) (1 + ESP + 2 * ROOT) << 20);
            f.readFully(b);
        }
        Files.write(part, b);
        return run(List.of(tool("debugfs"), "-R", "cat /state", part.toString()), 60);
    }
}

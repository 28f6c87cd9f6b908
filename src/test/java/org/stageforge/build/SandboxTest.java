package org.stageforge.build;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real bubblewrap over the test seed, as root and as a normal user (uid 65534 through setpriv): the mounts, the
 * cleared environment, no network, a throwaway root, binds read-only unless writable.
 */
@Tag("sandbox")
class SandboxTest {
    /** Prints what the checks below look at; the writes must land in the layer or the binds only. */
    private static final String PROBE = String.join("\n",
            "echo uid=$(id -u)",
            "echo host=$(cat /proc/sys/kernel/hostname)",
            "awk '$2==\"/proc\"||$2==\"/sys\"||$2==\"/tmp\"{print \"mount \" $2 \" \" $3 \" \" substr($4,1,2)}' /proc/self/mounts",
            "awk -F: 'NR>2{gsub(/ /,\"\",$1); print \"if=\" $1}' /proc/net/dev",
            "echo pids=$(ls /proc | grep -c '^[0-9]')",
            "echo canary > /etc/stageforge-canary && echo wrote-etc",
            "echo canary > /tmp/stageforge-canary && echo wrote-tmp",
            "echo from-inside > /out/written && echo wrote-out",
            "if echo x > /ro/x 2>/dev/null; then echo RO-WRITABLE; else echo ro-refused; fi",
            "if echo x > /sys/stageforge 2>/dev/null; then echo SYS-WRITABLE; else echo sys-refused; fi",
            "cat /etc/stageforge-file",
            "exit 7");

    @Test
    void asRoot(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.root();
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Path log = tmp.resolve("log");
        Sandbox.Spec spec = new Sandbox.Spec(seed, tmp.resolve("scratch"),
                List.of(new Sandbox.Bind(out, "/out", true), new Sandbox.Bind(ro, "/ro", false)),
                Map.of("SOURCE_DATE_EPOCH", "1700000000"), false, Map.of("etc/stageforge-file", "written\n"));
        assertThat(Sandbox.run(spec, List.of("sh", "-c", PROBE), log, false)).isEqualTo(7);
        checkProbe(Files.readString(log), seed, tmp, out, ro);

        Path env = tmp.resolve("env");
        assertThat(Sandbox.run(spec, List.of("env"), env, false)).isZero();
        checkEnv(Files.readString(env));
    }

    @Test
    void withNetworkTheHostsInterfacesAndResolvConf(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.root();
        Path log = tmp.resolve("log");
        String seedResolv = state(seed.dir().resolve("etc/resolv.conf"));
        Sandbox.Spec spec = new Sandbox.Spec(seed, tmp.resolve("scratch"), List.of(), Map.of(), true, Sandbox.resolvConf());
        assertThat(Sandbox.run(spec, List.of("sh", "-c",
                "awk -F: 'NR>2{gsub(/ /,\"\",$1); print $1}' /proc/net/dev | sort; echo ---; cat /etc/resolv.conf"),
                log, false)).isZero();
        String[] parts = Files.readString(log).split("---\n", 2);
        List<String> hostIfs = Files.readAllLines(Path.of("/proc/net/dev")).stream().skip(2)
                .map(l -> l.substring(0, l.indexOf(':')).strip()).sorted().toList();
        assertThat(parts[0].lines().toList()).isEqualTo(hostIfs);
        if (Files.exists(Path.of("/etc/resolv.conf"))) {
            assertThat(parts[1]).isEqualTo(Files.readString(Path.of("/etc/resolv.conf")));
        }
        assertThat(state(seed.dir().resolve("etc/resolv.conf"))).isEqualTo(seedResolv);
    }

    private static String state(Path p) throws java.io.IOException {
        if (Files.isSymbolicLink(p)) return "-> " + Files.readSymbolicLink(p);
        return Files.exists(p) ? Files.readString(p) : "absent";
    }

    @Test
    void asNormalUser(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.userRoot();
        Path dir = Files.createDirectories(tmp.resolve("user"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path ro = Files.createDirectories(dir.resolve("ro"));
        TestSeed.run(List.of("chown", "-R", TestSeed.USER + ":" + TestSeed.USER, dir.toString()), null, 60);
        TestSeed.run(List.of("chmod", "755", tmp.toString()), null, 60);
        Path log = dir.resolve("log");
        assertThat(runAsUser(seed, dir, log, out, ro, List.of("sh", "-c", PROBE))).isEqualTo(7);
        checkProbe(Files.readString(log), seed, dir, out, ro);
        assertThat(Files.getAttribute(out.resolve("written"), "unix:uid")).isEqualTo(TestSeed.USER);

        Path env = dir.resolve("env");
        assertThat(runAsUser(seed, dir, env, out, ro, List.of("env"))).isZero();
        checkEnv(Files.readString(env));
    }

    /** Runs {@link SandboxMain} as uid/gid 65534 with a variable in its environment that must not get in. */
    private static int runAsUser(SeedRoot seed, Path dir, Path log, Path out, Path ro, List<String> argv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path").lines().collect(Collectors.joining()),
                SandboxMain.class.getName(), seed.dir().toString(), dir.resolve("scratch").toString(), log.toString(),
                out.toString(), ro.toString(), "--"));
        cmd.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(TestSeed.asUser(cmd)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("java.out").toFile()).redirectInput(new File("/dev/null"));
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("HOME", dir.toString());
        pb.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        pb.environment().put("STAGEFORGE_SECRET", "must-not-leak");
        int rc = pb.start().waitFor();
        assertThat(Files.exists(log)).as("sandbox ran; java said: %s", Files.readString(dir.resolve("java.out"))).isTrue();
        return rc;
    }

    private static void checkProbe(String log, SeedRoot seed, Path scratchParent, Path out, Path ro) throws Exception {
        assertThat(log).contains("uid=0\n", "host=stageforge\n", "mount /proc proc rw\n", "mount /sys sysfs ro\n",
                "mount /tmp tmpfs rw\n", "wrote-etc\n", "wrote-tmp\n", "wrote-out\n", "ro-refused\n", "sys-refused\n",
                "written\n");
        assertThat(log.lines().filter(l -> l.startsWith("if="))).containsExactly("if=lo");
        // own PID namespace: only the probe's few processes
        int pids = Integer.parseInt(log.lines().filter(l -> l.startsWith("pids=")).findFirst().orElseThrow().substring(5));
        assertThat(pids).isBetween(1, 5);
        assertThat(Files.readString(out.resolve("written"))).isEqualTo("from-inside\n");
        try (var s = Files.list(ro)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(seed.dir().resolve("etc/stageforge-canary")).doesNotExist();
        assertThat(seed.dir().resolve("etc/stageforge-file")).doesNotExist();
        assertThat(Path.of("/etc/stageforge-canary")).doesNotExist();
        assertThat(Path.of("/tmp/stageforge-canary")).doesNotExist();
        // the throwaway layer is gone
        try (var s = Files.list(scratchParent.resolve("scratch"))) {
            assertThat(s.toList()).isEmpty();
        }
    }

    /**
     * Exactly the allow-list plus the caller's variable: nothing from the JVM's environment (surefire sets
     * XDG_CACHE_HOME and STAGEFORGE_FIXTURES_DEFAULT; the normal-user run gets STAGEFORGE_SECRET).
     */
    private static void checkEnv(String env) {
        Set<String> names = new TreeSet<>();
        env.lines().forEach(l -> names.add(l.substring(0, l.indexOf('='))));
        // PWD: bwrap sets it for --chdir
        assertThat(names).containsExactly("HOME", "LC_ALL", "PATH", "PWD", "SOURCE_DATE_EPOCH");
        assertThat(env).contains("HOME=/root\n", "LC_ALL=C.UTF-8\n", "SOURCE_DATE_EPOCH=1700000000\n", "PWD=/\n");
    }
}

package org.stageforge.controller;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.FaultHandler;
import org.stageforge.server.StaticServer;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.RequestPath;
import org.stageforge.server.core.ResourceModule;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.releases.ReleaseClient;
import org.stageforge.server.releases.ReleaseResource;
import org.stageforge.server.releases.Releases;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One simulated machine and its release server: the controller exported from the jar's resources, run under
 * {@code busybox sh} with a PATH of busybox applets plus gpgv (and curl when asked), image files as slots, a
 * state directory, and a real HTTP server on loopback serving {@code /releases/CHANNEL/} signed with a key
 * made here. The server is either {@code stageforge serve} (its release module; releases published through
 * {@link ReleaseClient} as {@code stageforge publish} does, health reports taken by a recording {@code /fleet/}
 * module until the fleet module exists) or, for faults no honest server produces (a tampered image, a cut or
 * throttled download, a list signed by a stranger), a static directory behind {@link FaultHandler}.
 */
final class ControllerHarness implements AutoCloseable {
    record Run(int exit, String out, String err) {
        /** The last line on standard output ("boot A" / "boot B"), or "" when there is none. */
        String decision() {
            String[] l = out.strip().split("\n");
            return l[l.length - 1];
        }
    }

    /** A POST the server received. */
    record Post(String path, String authorization, String body) {}

    static final String CHANNEL = "stable";
    static final String TOKEN = "machine-token-1";

    final Path dir;
    final Path bin;
    final Path controller;
    final Path config;
    final Path cmdline;
    final Path slotA;
    final Path slotB;
    final Path state;
    final Path www;
    final FaultHandler faults;
    final List<Post> posts = new CopyOnWriteArrayList<>();
    enum Backend { SERVE, STATIC }

    private final Backend backend;
    private final OpenPgp.SigningKey key;
    private final Path publicKey;
    private final Path serverRoot;
    private AutoCloseable server;
    private ServerContext ctx;
    private String publishToken;
    private String url;
    /** Bytes per 10 ms for image downloads; 0 = full speed. */
    volatile int throttle;
    /** The status health reports get. */
    volatile int postStatus = 204;

    ControllerHarness(Path dir, Backend backend, boolean withCurl) throws IOException {
        this.dir = dir;
        this.backend = backend;
        bin = busyboxBin(dir.resolve("bin"), withCurl);
        // the controller as `stageforge controller export` writes it
        ControllerFiles.export(dir.resolve("ctl"));
        controller = dir.resolve("ctl/stageforge-controller");

        OpenPgp.GeneratedKey k = OpenPgp.generate("stageforge test <test@example.org>", null, new Date(1_700_000_000_000L));
        Path secret = Files.write(dir.resolve("secret.asc"), k.secretArmored());
        key = OpenPgp.SigningKey.load(secret, null);
        Path keyring = Files.write(dir.resolve("keyring.gpg"), dearmor(k.publicArmored()));
        publicKey = Files.write(dir.resolve("key.asc"), k.publicArmored());

        serverRoot = Files.createDirectories(dir.resolve("srv"));
        www = Files.createDirectories(serverRoot.resolve("releases/" + CHANNEL));
        faults = new FaultHandler(serverRoot);
        start();

        slotA = dir.resolve("slot-a.img");
        slotB = dir.resolve("slot-b.img");
        state = dir.resolve("state");
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        config = dir.resolve("controller.conf");
        Files.writeString(config, """
                # test machine
                server = %s
                channel = %s
                keyring = %s
                slot_a = %s
                slot_b = %s
                state_dir = %s
                machine_id = m1
                token_file = %s
                attempt_limit = 3
                """.formatted(url, CHANNEL, keyring, slotA, slotB, state, dir.resolve("token")));
        cmdline = Files.writeString(dir.resolve("cmdline"), "root=/dev/sda1 quiet\n");
    }

    /**
     * A PATH directory like an initramfs's: every busybox applet, gpgv, and curl when asked. Copies and links
     * inside the directory, as JUnit warns about every link pointing out of a {@code @TempDir}.
     */
    static Path busyboxBin(Path bin, boolean withCurl) throws IOException {
        Files.createDirectories(bin);
        Path busybox = ControllerTest.tool("busybox");
        Files.copy(busybox, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        Process p = new ProcessBuilder(busybox.toString(), "--list").start();
        for (String applet : new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
            if (applet.isBlank() || applet.equals("busybox")) continue;
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.copy(ControllerTest.tool("gpgv"), bin.resolve("gpgv"), StandardCopyOption.COPY_ATTRIBUTES);
        if (withCurl) Files.copy(ControllerTest.tool("curl"), bin.resolve("curl"), StandardCopyOption.COPY_ATTRIBUTES);
        return bin;
    }

    String url() { return url; }

    void start() throws IOException {
        int port = url == null ? 0 : Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
        URI uri;
        if (backend == Backend.STATIC) {
            StaticServer st = StaticServer.start(serverRoot, "127.0.0.1", port, files -> new Front(faults.wrap(files)));
            server = st;
            uri = st.uri();
        } else {
            boolean fresh = ctx == null;
            ctx = ServerContext.open(ServerConfig.of(dir.resolve("serve-data"), "127.0.0.1", port), Clock.systemUTC());
            Releases releases = new Releases(ctx);
            if (fresh) {
                releases.createChannel(CHANNEL, publicKey);
                publishToken = ctx.tokens().create("ci", List.of("channel:" + CHANNEL + ":write")).secret();
            }
            Server sv = Server.start(ctx, List.of(new ReleaseResource(releases), new FleetRecorder()));
            server = sv;
            uri = sv.uri();
        }
        url = uri.toString().replaceAll("/$", "");
    }

    void stop() throws Exception {
        server.close();
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /** Deterministic image bytes for a release version. */
    static byte[] image(String version, int size) {
        byte[] b = new byte[size];
        new Random(version.hashCode()).nextBytes(b);
        return b;
    }

    static String imageName(String version) {
        return "os_" + version + ".root.erofs";
    }

    /**
     * Publishes a release into the channel: the image and another artifact, SHA256SUMS and its detached
     * signature, as a build's output directory has them.
     */
    byte[] publish(String version, int size) throws IOException {
        Path out = backend == Backend.STATIC ? www : Files.createDirectories(dir.resolve("out-" + version));
        byte[] img = writeRelease(out, version, size, key);
        if (backend == Backend.SERVE) new ReleaseClient(URI.create(url), publishToken).publish(out, CHANNEL, version, null);
        return img;
    }

    /** A release as a build's output directory has it (emptied first), signed with {@code key}; the image's bytes. */
    static byte[] writeRelease(Path out, String version, int size, OpenPgp.SigningKey key) throws IOException {
        byte[] img = image(version, size);
        try (var s = Files.list(out)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.write(out.resolve(imageName(version)), img);
        // other artifacts of a release are listed too and must be ignored
        Files.writeString(out.resolve("os_" + version + ".tar.zst"), "not an image");
        String sums = sha256(img) + "  " + imageName(version) + "\n"
                + sha256("not an image".getBytes(StandardCharsets.UTF_8)) + "  os_" + version + ".tar.zst\n";
        Files.writeString(out.resolve("SHA256SUMS"), sums);
        sign(out, key);
        return img;
    }

    /** (Re)signs the served SHA256SUMS with {@code k} (static backend). */
    void sign(OpenPgp.SigningKey k) throws IOException {
        sign(www, k);
    }

    private static void sign(Path dir, OpenPgp.SigningKey k) throws IOException {
        var gen = OpenPgp.detachedSigner(k, new Date(1_700_000_000_000L));
        gen.update(Files.readAllBytes(dir.resolve("SHA256SUMS")));
        Files.write(dir.resolve("SHA256SUMS.gpg"), dearmor(OpenPgp.armored(gen)));
    }

    static OpenPgp.SigningKey otherKey(Path dir) throws IOException {
        OpenPgp.GeneratedKey k = OpenPgp.generate("someone else <x@example.org>", null, new Date(1_700_000_000_000L));
        return OpenPgp.SigningKey.load(Files.write(dir.resolve("other.asc"), k.secretArmored()), null);
    }

    Run run(String... args) throws IOException, InterruptedException {
        Process p = start(args);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("controller did not finish: " + List.of(args));
        }
        return new Run(p.exitValue(), Files.readString(dir.resolve("out")), Files.readString(dir.resolve("err")));
    }

    Run boot() throws IOException, InterruptedException {
        return run("boot");
    }

    /** A whole healthy cycle: the booted system's late-boot marker and its clean shutdown. */
    void healthyCycle() throws IOException, InterruptedException {
        for (String m : List.of("mark-healthy", "shutdown-ok")) {
            Run r = run(m);
            if (r.exit() != 0) throw new AssertionError(m + " failed: " + r.err());
        }
    }

    /** Starts the controller in its own session (one process group, for kill -9 of all of it). */
    Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("setsid").toString(), bin.resolve("sh").toString(),
                controller.toString(), "--config", config.toString(), "--cmdline", cmdline.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        pb.environment().clear();
        pb.environment().put("PATH", bin.toString());
        pb.environment().put("LC_ALL", "C");
        return pb.start();
    }

    /** Power loss: SIGKILL to the controller's whole process group at once. */
    void killGroup(Process p) throws IOException, InterruptedException {
        new ProcessBuilder(bin.resolve("kill").toString(), "-9", "-" + p.pid()).start().waitFor();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    Map<String, String> state() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : Files.readAllLines(state.resolve("state"))) {
            int eq = l.indexOf('=');
            m.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return m;
    }

    String log() throws IOException {
        return Files.readString(state.resolve("controller.log"));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] dearmor(byte[] armored) throws IOException {
        try (InputStream in = ArmoredInputStream.builder().build(new ByteArrayInputStream(armored))) {
            return in.readAllBytes();
        }
    }

    private Post record(HttpServerExchange ex) throws IOException {
        String body = new String(ex.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Post p = new Post(ex.getRelativePath(), ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION), body);
        posts.add(p);
        return p;
    }

    /** stageforge serve's /fleet/ until the fleet module exists: records health reports. */
    private final class FleetRecorder implements ResourceModule {
        @Override
        public String mount() {
            return "fleet";
        }

        @Override
        public void handle(HttpServerExchange ex, RequestPath rest) throws Exception {
            if (!ex.getRequestMethod().equals(Methods.POST)) throw HttpRefusal.notFound("not found");
            record(ex);
            ex.setStatusCode(postStatus);
            ex.endExchange();
        }
    }

    /** Records health reports (answering 204) and throttles image downloads when asked. */
    private final class Front implements HttpHandler {
        private final HttpHandler next;

        Front(HttpHandler next) {
            this.next = next;
        }

        @Override
        public void handleRequest(HttpServerExchange ex) throws Exception {
            if (ex.isInIoThread()) {
                ex.dispatch(this);
                return;
            }
            String path = ex.getRelativePath();
            if (ex.getRequestMethod().equals(Methods.POST) && path.startsWith("/fleet/")) {
                ex.startBlocking();
                record(ex);
                ex.setStatusCode(postStatus);
                ex.endExchange();
                return;
            }
            int rate = throttle;
            if (rate == 0 || !path.endsWith(".root.erofs")) {
                next.handleRequest(ex);
                return;
            }
            byte[] data = Files.readAllBytes(serverRoot.resolve(path.substring(1)));
            ex.setStatusCode(200);
            ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, data.length);
            ex.startBlocking();
            try (OutputStream out = ex.getOutputStream()) {
                for (int off = 0; off < data.length; off += rate) {
                    out.write(data, off, Math.min(rate, data.length - off));
                    out.flush();
                    Thread.sleep(10);
                }
            } catch (IOException gone) {
                // the client was killed: nothing to finish
            }
        }
    }
}

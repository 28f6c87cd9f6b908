package org.stageforge.server.core;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.server.Services;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS from PEM files (a certificate made by openssl), checked with curl trusting exactly that certificate. */
class TlsServeTest {
    @Test
    void servesHttpsFromPemFiles(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "no openssl to make a certificate");
        Path key = tmp.resolve("key.pem");
        Path cert = tmp.resolve("cert.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "3650", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        ServerConfig cfg = ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0).withTls(cert, key);
        try (Server s = Services.start(cfg)) {
            assertThat(s.uri().getScheme()).isEqualTo("https");
            Process c = new ProcessBuilder("curl", "-sS", "--cacert", cert.toString(), "-w", "%{http_code}", s.uri() + "/nothing")
                    .redirectErrorStream(true).start();
            String got = new String(c.getInputStream().readAllBytes());
            assertThat(c.waitFor()).as(got).isZero();
            assertThat(got).isEqualTo("not found: /nothing\n404");
        }
        Files.writeString(tmp.resolve("bad.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Services.start(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0).withTls(cert, tmp.resolve("bad.pem"))))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("expected a PKCS#8 PEM key");
    }
}

package org.stageforge.binhost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A failed fetch says why in one line: connection refused or timed out (unknown host: CliUsageTest, in a child JVM). */
@Timeout(30)
class BinhostErrorsTest {
    @TempDir
    Path tmp;

    private BinhostClient.Options opts() {
        return BinhostClient.Options.of(tmp.resolve("cache")).withMaxAttempts(1)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300));
    }

    @Test
    void aClosedPortIsConnectionRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (BinhostClient c = BinhostClient.open("http://127.0.0.1:" + port, opts())) {
            StageforgeException e = catchThrowableOfType(StageforgeException.class, c::fetchIndex);
            assertThat(e.getMessage()).isEqualTo("fetching http://127.0.0.1:" + port + "/Packages failed: connection refused");
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             BinhostClient c = BinhostClient.open("http://127.0.0.1:" + s.getLocalPort(), opts())) {
            Thread t = new Thread(() -> {
                try (Socket held = s.accept()) {
                    Thread.sleep(20_000); // reads nothing, answers nothing
                } catch (Exception ignored) {
                    // closed by the test
                }
            });
            t.setDaemon(true);
            t.start();
            StageforgeException e = catchThrowableOfType(StageforgeException.class, c::fetchIndex);
            assertThat(e.getMessage()).isEqualTo("fetching http://127.0.0.1:" + s.getLocalPort() + "/Packages failed: timed out");
            t.interrupt();
        }
    }
}

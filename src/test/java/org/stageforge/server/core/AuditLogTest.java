package org.stageforge.server.core;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit log read backwards: what the dashboard's history shows without reading the whole file. */
class AuditLogTest {
    @Test
    void newestLinesComeBackNewestFirstAcrossBlocksSkippingACutLine(@TempDir Path tmp) throws Exception {
        AuditLog log = new AuditLog(tmp.resolve("audit.log"), Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC));
        assertThat(log.newest(n -> true, 10)).isEmpty(); // no file yet
        List<String> objects = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            // lines of varying length (some past a read block), so lines straddle the blocks' boundaries
            String object = "main/pkg-" + i + "/" + "x".repeat(i % 7 == 0 ? 70_000 : i % 50);
            log.record("t" + i, i % 3 == 0 ? "binhost.delete" : "binhost.upload", object, "201");
            objects.add(object);
        }
        // a crash mid-append leaves a line without its end
        Files.writeString(log.file(), "{\"time\":\"2023-11-14T22:13:20Z\",\"act", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        List<JsonNode> deletes = log.newest(n -> n.path("action").asText().equals("binhost.delete"), 5);
        assertThat(deletes).extracting(n -> n.path("object").asText())
                .containsExactly(objects.get(2997), objects.get(2994), objects.get(2991), objects.get(2988), objects.get(2985));

        List<JsonNode> all = log.newest(n -> true, Integer.MAX_VALUE);
        assertThat(all).hasSize(3000);
        for (int i = 0; i < 3000; i++) {
            JsonNode n = all.get(2999 - i);
            assertThat(n.path("object").asText()).isEqualTo(objects.get(i));
            assertThat(n.path("token").asText()).isEqualTo("t" + i);
            assertThat(n.path("time").asText()).isEqualTo("2023-11-14T22:13:20Z");
        }
    }
}

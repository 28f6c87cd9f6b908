package org.stageforge.server.snapshots;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code stageforge snapshot push}: uploads the snapshots {@code stageforge snapshot create} wrote (each
 * {@code REPO-YYYYMMDD.tar.xz} with its {@code .gpgsig} and {@code .md5sum}) to a server, oldest date first, and checks
 * that each answer names the SHA-256 of the tarball sent.
 */
public final class SnapshotPush {
    /** One snapshot's outcome: {@code status} the HTTP status (0 when none came), {@code message} the reason of a failure. */
    public record Outcome(Path tarball, int status, String message) {
        public boolean ok() {
            return status == 200 || status == 201;
        }
    }

    /** All outcomes, in date order. */
    public record Result(List<Outcome> outcomes) {
        public List<Outcome> failures() {
            return outcomes.stream().filter(o -> !o.ok()).toList();
        }

        /** 0; 4 when the server refused a snapshot as unverifiable; else 1. */
        public int exitCode() {
            if (failures().isEmpty()) return ExitCodes.OK;
            return failures().stream().allMatch(o -> o.status() == 422) ? ExitCodes.VERIFY : ExitCodes.FAILURE;
        }
    }

    private SnapshotPush() {}

    /** The dated snapshot tarballs of {@code dirOrTarball} (a directory, not searched below, or one tarball), by date. */
    public static List<Path> tarballs(Path dirOrTarball) throws IOException {
        List<Path> out = new ArrayList<>();
        if (Files.isRegularFile(dirOrTarball)) {
            out.add(dirOrTarball);
        } else if (Files.isDirectory(dirOrTarball)) {
            try (Stream<Path> s = Files.list(dirOrTarball)) {
                s.filter(p -> Files.isRegularFile(p) && SnapshotName.parse(p.getFileName().toString())
                        .filter(n -> !n.latest() && n.suffix().isEmpty()).isPresent()).forEach(out::add);
            }
        } else {
            throw new StageforgeException(dirOrTarball + ": no such file or directory", ExitCodes.NOT_FOUND, null);
        }
        for (Path t : out) {
            String name = t.getFileName().toString();
            if (SnapshotName.parse(name).filter(n -> !n.latest() && n.suffix().isEmpty()).isEmpty()) {
                throw new StageforgeException(t + ": not a snapshot name REPO-YYYYMMDD.tar.xz", ExitCodes.USAGE, null);
            }
            for (String side : List.of(".gpgsig", ".md5sum")) {
                if (!Files.isRegularFile(t.resolveSibling(name + side))) {
                    throw new StageforgeException(t.resolveSibling(name + side) + " does not exist", ExitCodes.NOT_FOUND, null);
                }
            }
        }
        if (out.isEmpty()) throw new StageforgeException(dirOrTarball + ": no REPO-YYYYMMDD.tar.xz snapshots", ExitCodes.NOT_FOUND, null);
        out.sort((a, b) -> {
            SnapshotName x = SnapshotName.parse(a.getFileName().toString()).orElseThrow();
            SnapshotName y = SnapshotName.parse(b.getFileName().toString()).orElseThrow();
            int c = x.date().compareTo(y.date());
            return c != 0 ? c : x.repo().compareTo(y.repo());
        });
        return out;
    }

    public static Result push(Path dirOrTarball, URI server, String token) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        List<Outcome> out = new ArrayList<>();
        for (Path t : tarballs(dirOrTarball)) out.add(pushOne(http, t, server, token));
        return new Result(out);
    }

    private static Outcome pushOne(HttpClient http, Path tarball, URI server, String token) throws IOException {
        String name = tarball.getFileName().toString();
        String sha = Hashes.ofFile(tarball, "SHA-256");
        Base64.Encoder b64 = Base64.getEncoder();
        // the name is [A-Za-z0-9_+-.] only: nothing to escape in the path
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.toString().replaceAll("/+$", "") + "/snapshots/" + name))
                .header("Authorization", "Bearer " + token)
                .header(SnapshotResource.GPGSIG_HEADER, b64.encodeToString(Files.readAllBytes(tarball.resolveSibling(name + ".gpgsig"))))
                .header(SnapshotResource.MD5SUM_HEADER, b64.encodeToString(Files.readAllBytes(tarball.resolveSibling(name + ".md5sum"))))
                .timeout(Duration.ofHours(1))
                .PUT(HttpRequest.BodyPublishers.ofFile(tarball)).build();
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(tarball, 0, name + ": interrupted");
        } catch (IOException e) {
            return new Outcome(tarball, 0, name + ": " + e.getMessage());
        }
        String body = r.body().strip();
        if (r.statusCode() != 200 && r.statusCode() != 201) return new Outcome(tarball, r.statusCode(), name + ": HTTP " + r.statusCode() + ": " + body);
        if (!body.startsWith(sha + " ")) {
            return new Outcome(tarball, 0, name + ": the server stored other bytes than sent (answer '" + body + "', sent sha256 " + sha + ")");
        }
        return new Outcome(tarball, r.statusCode(), null);
    }
}

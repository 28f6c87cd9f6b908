package org.stageforge.server.core;

import io.undertow.server.HttpServerExchange;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Receiving an upload's body within the server's size limit, the same way for every resource. */
public final class Uploads {
    private Uploads() {}

    /** Something else fed with the body as it is copied (e.g. the Manifest digests of a distfile). */
    public interface Chunks {
        void update(byte[] buf, int off, int len);
    }

    /** The bytes received: their count and SHA-256. */
    public record Received(long size, String sha256) {}

    /** Refuses (413) a request whose declared length is over the limit before its body is read. */
    public static void checkDeclaredLength(HttpServerExchange ex, long limit) {
        long declared = ex.getRequestContentLength();
        if (declared > limit) {
            throw new HttpRefusal(413, "body of " + declared + " bytes is larger than the upload limit of " + limit + " bytes");
        }
    }

    /**
     * Copies {@code body} into the new file {@code file}, hashing it (and feeding {@code also}, may be null); refuses
     * (413) once more than {@code limit} bytes came, whatever the declared length said.
     */
    public static Received receive(InputStream body, Path file, long limit, Chunks also) throws IOException {
        MessageDigest sha = Hashes.of("SHA-256");
        long size = 0;
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = body.read(buf)) > 0; ) {
                size += n;
                if (size > limit) throw new HttpRefusal(413, "body larger than the upload limit of " + limit + " bytes");
                sha.update(buf, 0, n);
                if (also != null) also.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        return new Received(size, HexFormat.of().formatHex(sha.digest()));
    }
}

package org.stageforge.server.core;

/**
 * A request refused: the HTTP status and a one-line reason sent as the {@code text/plain} body.
 */
public final class HttpRefusal extends RuntimeException {
    private final int status;

    public HttpRefusal(int status, String reason) {
        super(reason.replaceAll("[\\r\\n]+", " ").strip(), null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static HttpRefusal badRequest(String reason) { return new HttpRefusal(400, reason); }

    public static HttpRefusal notFound(String reason) { return new HttpRefusal(404, reason); }
}

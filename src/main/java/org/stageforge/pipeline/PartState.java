package org.stageforge.pipeline;

/**
 * What a finished part recorded in {@code state/<part>.json}.
 *
 * @param part        the part's id
 * @param status      {@code done} or {@code skipped}
 * @param fingerprint sha256 over the part's declared inputs
 * @param output      digest of what the part produced (later parts fingerprint it)
 * @param version     the stageforge version that wrote it
 */
public record PartState(String part, String status, String fingerprint, String output, String version) {
    public boolean done() {
        return "done".equals(status);
    }
}

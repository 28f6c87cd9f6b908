package org.stageforge.pipeline;

/**
 * What a finished part recorded in {@code state/<part>.json}.
 *
 * @param part        the part's id
 * @param status      {@code done} or {@code skipped}
 * @param fingerprint sha256 over the part's declared inputs
 * @param output      digest of what the part produced (later parts fingerprint it)
 * @param version     the stageforge version that wrote it
 * @param files       files the part wrote outside the state (absolute path -> sha256), e.g. published artifacts: the
 *                    part is reused only while they are all there unchanged (null: none)
 */
public record PartState(String part, String status, String fingerprint, String output, String version,
                        java.util.Map<String, String> files) {
    public PartState {
        files = files == null ? java.util.Map.of() : java.util.Map.copyOf(files);
    }

    public boolean done() {
        return "done".equals(status);
    }
}

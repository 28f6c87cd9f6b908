package org.stageforge.binpkg;

import java.util.List;

/**
 * What a successful verification checked.
 *
 * @param checks  one line per check passed, e.g. "image.tar.zst: size, BLAKE2B, SHA512"
 * @param signers fingerprints of keys whose signatures verified
 */
public record VerifyReport(List<String> checks, List<String> signers) {
    public VerifyReport {
        checks = List.copyOf(checks);
        signers = List.copyOf(signers);
    }
}

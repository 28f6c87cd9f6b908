package org.stageforge.binpkg;

/**
 * How {@link BinaryPackage#verify} checks signatures.
 *
 * @param keyring          keys to verify GPKG signatures with; null skips signature checks
 * @param requireSignature fail when the package carries no valid signature
 */
public record VerifyOptions(OpenPgp.Keyring keyring, boolean requireSignature) {
    public static final VerifyOptions CHECKSUMS_ONLY = new VerifyOptions(null, false);
}

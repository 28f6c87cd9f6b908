package org.stageforge.server.binhost;

/**
 * One served binhost.
 *
 * @param name              its name, the {@code NAME} of {@code /binhost/NAME/}
 * @param requireSignatures uploads must carry GPKG signatures that verify against the keyring
 * @param keyringSha256     blob of the trusted OpenPGP public keys, or null
 * @param privateReads      reads need a token with {@code binhost:NAME:read} (or write, or admin)
 * @param keepBuilds        builds kept per package version (BUILD_IDs of one CPV), 0 for all
 */
public record BinhostSettings(String name, boolean requireSignatures, String keyringSha256, boolean privateReads,
                              int keepBuilds) {
    /** The view that holds the binhost's files and index. */
    public String view() {
        return "binhost/" + name;
    }
}

package org.stageforge.archive;

/**
 * Bounds applied while reading archives from untrusted sources.
 *
 * @param maxHeaderBytes  largest PAX extended header or GNU long name/link accepted
 * @param maxPathLength   longest path or link target (bytes)
 * @param maxMembers      most members (entries) in one archive
 * @param maxUncompressed absolute cap on the decompressed size of one stream
 * @param maxRatio        decompressed bytes allowed per compressed byte (beyond {@code ratioAllowance})
 * @param ratioAllowance  decompressed bytes always allowed regardless of the ratio
 */
public record TarLimits(int maxHeaderBytes, int maxPathLength, long maxMembers, long maxUncompressed,
                        long maxRatio, long ratioAllowance) {

    /** Generous for real packages (the largest Gentoo images hold a few 100k files, some GiB). */
    public static final TarLimits DEFAULT =
            new TarLimits(1 << 20, 4096, 1_000_000, 64L << 30, 2000, 256L << 20);

    /** How many decompressed bytes a stream of {@code compressedSize} bytes may yield. */
    public long uncompressedBudget(long compressedSize) {
        long byRatio = compressedSize > Long.MAX_VALUE / maxRatio ? Long.MAX_VALUE : compressedSize * maxRatio;
        return Math.min(maxUncompressed, Math.max(ratioAllowance, byRatio));
    }
}

/**
 * Binhost client: fetches a binhost's {@code Packages} index and its binary packages into a local,
 * content-addressed, verified cache.
 *
 * <ul>
 *   <li>{@link org.stageforge.binhost.BinhostClient} — the API: {@code fetchIndex()} (conditional GET
 *       over HTTP, or the directory's index), {@code fetch(ref)} and {@code fetchAll(refs, listener)}
 *       (bounded parallel, resumable with {@code Range}, verified against SIZE and every index digest,
 *       then by a {@link org.stageforge.binhost.BinpkgVerifier}, written as {@code .part} and renamed).</li>
 *   <li>{@link org.stageforge.binhost.BinpkgRef} — what the client needs of an index entry;
 *       {@link org.stageforge.binhost.IndexRef} adapts {@code index.PackagesEntry} and selects entries by
 *       atom or CPV.</li>
 *   <li>{@link org.stageforge.binhost.PackageVerifier} (GPKG Manifest and signatures through
 *       {@code binpkg.BinaryPackage}) and {@link org.stageforge.binhost.SignaturePresence}
 *       ({@code --require-signatures} without a keyring).</li>
 * </ul>
 * Failures are one-line {@link org.stageforge.StageforgeException}s naming the package: NOT_FOUND for a
 * file missing on the binhost, VERIFY for size/digest/signature problems, FAILURE for transfers that
 * stay incomplete after retries (their {@code .part} is kept for the next run to resume).
 */
package org.stageforge.binhost;

/**
 * Webrsync snapshots on {@code stageforge serve}: {@code /snapshots/REPO-YYYYMMDD.tar.xz} with {@code .gpgsig},
 * {@code .md5sum} and the {@code REPO-latest} names, published atomically per repository, verified against the
 * snapshot keyring, uploaded by {@code stageforge snapshot push} or made on the server from a git commit.
 */
package org.stageforge.server.snapshots;

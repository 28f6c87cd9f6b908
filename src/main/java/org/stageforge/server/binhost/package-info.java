/**
 * Named binhosts served by {@code stageforge serve}: {@code Packages}, {@code Packages.gz}, package files
 * and {@code binrepos.conf} under {@code /binhost/NAME/}; verified uploads published atomically with an
 * incrementally updated index; delete and retention; {@link org.stageforge.server.binhost.BinhostPush},
 * the upload client.
 */
package org.stageforge.server.binhost;

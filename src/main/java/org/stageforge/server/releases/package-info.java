/**
 * Release channels served by {@code stageforge serve} under {@code /releases/CHANNEL/}: verified publishes of
 * a build's signed artifacts, each release an immutable view, the channel switched to it by one compare-and-set;
 * promote, rollback and JSON listings.
 */
package org.stageforge.server.releases;

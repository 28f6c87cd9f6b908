/**
 * {@code /fleet/}: machines, groups, per-machine signed configuration bundles, health reports and staged
 * rollouts, for the controller in each machine's initramfs.
 */
package org.stageforge.server.fleet;

/**
 * HTTP serving: {@link org.stageforge.server.StaticServer} serves a directory read-only on Undertow
 * (ranges, validators, zero-copy), used by the binhost tests and as the base of the release/binhost server.
 */
package org.stageforge.server;

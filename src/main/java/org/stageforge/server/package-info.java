/**
 * HTTP serving: {@link org.stageforge.server.StaticServer} serves a directory read-only on Undertow
 * (ranges, validators, zero-copy), used by the binhost tests; {@link org.stageforge.server.Services} starts
 * {@code stageforge serve} (the foundation in {@code server.core}, binhosts in {@code server.binhost}).
 */
package org.stageforge.server;

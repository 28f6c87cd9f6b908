/**
 * The foundation of {@code stageforge serve}: configuration, the Undertow router, request path rules,
 * tokens, the audit log, metadata on JDBC (Flyway migrations), content-addressed blobs and atomic
 * publishing of views (immutable manifests, one database pointer per view). Resource modules (binhosts,
 * later snapshots, distfiles, releases, fleet) are built on it.
 */
package org.stageforge.server.core;

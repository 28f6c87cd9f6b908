/**
 * The web dashboard of {@code stageforge serve} under {@code /ui/}: server-rendered HTML (Mustache templates,
 * escaped by default, plain CSS, no script) of binhosts, packages, snapshots and release channels, with
 * token logins kept as server-side sessions and CSRF-checked promote and rollback forms.
 */
package org.stageforge.server.web;

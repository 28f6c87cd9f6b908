/**
 * {@code /distfiles/}: a Gentoo distfiles mirror (GLEP 75 {@code filename-hash BLAKE2B 8} layout, flat as the
 * fallback) filled by verified uploads, usable as {@code GENTOO_MIRRORS}.
 */
package org.stageforge.server.distfiles;

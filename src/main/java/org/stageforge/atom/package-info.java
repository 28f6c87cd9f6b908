/**
 * PMS (EAPI 8) package names, versions, atoms and dependency strings, behaving as Portage 3.0.x.
 *
 * <ul>
 *   <li>{@link org.stageforge.atom.Version}: parse once, compare without allocation (Portage's {@code vercmp}).</li>
 *   <li>{@link org.stageforge.atom.Cpv}: {@code category/name-version}.</li>
 *   <li>{@link org.stageforge.atom.Atom} and {@link org.stageforge.atom.UseDep}: dependency atoms
 *       ({@code ::repo} allowed unless parsed for a dependency string) and package matching.</li>
 *   <li>{@link org.stageforge.atom.DepString} and {@link org.stageforge.atom.DepNode}: DEPEND, REQUIRED_USE,
 *       LICENSE, SRC_URI and plain token strings: validation as {@code use_reduce}, USE reduction, printing.</li>
 *   <li>{@link org.stageforge.atom.LicenseGroups}: {@code license_groups} and ACCEPT_LICENSE evaluation.</li>
 * </ul>
 * Malformed input always raises {@link org.stageforge.ParseException} with a one-line message.
 */
package org.stageforge.atom;

/**
 * Portage profiles: {@link org.stageforge.profile.ProfileLoader} walks a profile's parents into a
 * {@link org.stageforge.profile.Profile}; {@link org.stageforge.profile.PortageConfig} evaluates it
 * with make.globals, the user's etc/portage and an environment into variables, USE, masks and the
 * @system set, and answers per-package questions (USE, keywords, licenses, mask reasons).
 */
package org.stageforge.profile;

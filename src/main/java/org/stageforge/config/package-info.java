/**
 * Reading Portage configuration files the way Portage reads them: bash-like assignment files
 * ({@link org.stageforge.config.ShellConfig}, Portage's getconfig), line files that may be
 * directories of files ({@link org.stageforge.config.ConfigFiles}, Portage's grabfile and its file
 * order) and repos.conf ({@link org.stageforge.config.ReposConf}).
 */
package org.stageforge.config;

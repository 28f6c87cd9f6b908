package org.stageforge.phase;

/** One message a phase printed with einfo/elog/ewarn/eerror/eqawarn. */
public record ElogMessage(Level level, String text) {
    /** Portage's elog classes. */
    public enum Level { INFO, LOG, WARN, ERROR, QA }
}

package org.stageforge;

/** The running stageforge's version, from the jar manifest ("dev" when run from classes). */
public final class StageforgeVersion {
    private StageforgeVersion() {}

    public static String get() {
        String v = StageforgeVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}

package org.stageforge.pipeline;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * How to run a build.
 *
 * @param buildDir  state, logs, root and intermediate files
 * @param outputDir where {@code publish} copies the artifacts
 * @param skip      parts not to run (recorded as skipped)
 * @param force     parts to run even when their fingerprint matches
 * @param from      run this part and every later one even when fingerprints match (null: none)
 * @param lock      replay these pinned inputs (null: resolve afresh)
 * @param oci       also write an OCI image layout (in addition to {@code [output] oci})
 * @param env       the calling environment (SOURCE_DATE_EPOCH is honoured; hooks inherit it)
 * @param unprivileged merge as a normal user would even when running as root: owners, special modes,
 *                  devices and xattrs live only in the root's file table (the archive is the same)
 * @param cacheDir  the download cache (null: {@link #cache()} picks the user's)
 * @param keepGoing      source builds: build what can be built and report the rest (as {@code [build] keep_going})
 * @param shellOnFailure source builds: open a shell in the sandbox at a failed package, retry it when the shell exits 0
 */
public record BuildOptions(Path buildDir, Path outputDir, Set<Part> skip, Set<Part> force, Part from, Lock lock,
                           boolean oci, Map<String, String> env, boolean unprivileged, Path cacheDir,
                           boolean keepGoing, boolean shellOnFailure) {
    public BuildOptions {
        skip = Set.copyOf(skip);
        force = Set.copyOf(force);
        env = Map.copyOf(env);
    }

    public static BuildOptions of(Path buildDir, Path outputDir) {
        return new BuildOptions(buildDir, outputDir, Set.of(), Set.of(), null, null, false, Map.of(), false, null, false, false);
    }

    public BuildOptions withSkip(Set<Part> s) {
        return new BuildOptions(buildDir, outputDir, s, force, from, lock, oci, env, unprivileged, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withForce(Set<Part> f) {
        return new BuildOptions(buildDir, outputDir, skip, f, from, lock, oci, env, unprivileged, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withFrom(Part p) {
        return new BuildOptions(buildDir, outputDir, skip, force, p, lock, oci, env, unprivileged, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withLock(Lock l) {
        return new BuildOptions(buildDir, outputDir, skip, force, from, l, oci, env, unprivileged, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withOci(boolean o) {
        return new BuildOptions(buildDir, outputDir, skip, force, from, lock, o, env, unprivileged, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withEnv(Map<String, String> e) {
        return new BuildOptions(buildDir, outputDir, skip, force, from, lock, oci, e, unprivileged, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withUnprivileged(boolean u) {
        return new BuildOptions(buildDir, outputDir, skip, force, from, lock, oci, env, u, cacheDir, keepGoing, shellOnFailure);
    }

    public BuildOptions withCacheDir(Path c) {
        return new BuildOptions(buildDir, outputDir, skip, force, from, lock, oci, env, unprivileged, c, keepGoing, shellOnFailure);
    }

    public BuildOptions withSourceBuild(boolean k, boolean shell) {
        return new BuildOptions(buildDir, outputDir, skip, force, from, lock, oci, env, unprivileged, cacheDir, k, shell);
    }

    /**
     * The download cache, content-addressed and shared by every build directory of the user: {@code cacheDir}, else
     * {@code $XDG_CACHE_HOME/stageforge}, else {@code $HOME/.cache/stageforge} (from {@code env}; a relative
     * XDG_CACHE_HOME is ignored, as the XDG spec says), else {@code BUILD_DIR/cache}.
     */
    public Path cache() {
        if (cacheDir != null) return cacheDir.toAbsolutePath();
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "stageforge");
        String home = env.get("HOME");
        if (home != null && !home.isEmpty() && Path.of(home).isAbsolute()) return Path.of(home, ".cache", "stageforge");
        return buildDir.toAbsolutePath().resolve("cache");
    }
}

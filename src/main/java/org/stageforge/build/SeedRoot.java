package org.stageforge.build;

import java.nio.file.Path;

/**
 * An unpacked seed root. {@code dir} is read-only by convention: builds never write it, they run over a throwaway
 * layer of it ({@link Sandbox}). {@code digest} names the tarball it came from; {@code asRoot} tells whether it was
 * unpacked by root (real owners and device nodes on disk) or by a normal user (files owned by that user, who is
 * mapped to root inside the sandbox).
 */
public record SeedRoot(Path dir, String digest, boolean asRoot) {}

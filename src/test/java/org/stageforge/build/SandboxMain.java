package org.stageforge.build;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Entry point for running {@link Sandbox#run} as another (normal) user from a test:
 * {@code SandboxMain SEED_DIR SCRATCH LOG RW_BIND_HOST RO_BIND_HOST -- ARGV...}; the binds are at {@code /out}
 * (writable) and {@code /ro}. Exits with the command's status.
 */
public final class SandboxMain {
    private SandboxMain() {}

    public static void main(String[] a) throws Exception {
        if (a.length < 7 || !a[5].equals("--")) {
            System.err.println("usage: SandboxMain SEED_DIR SCRATCH LOG RW_BIND RO_BIND -- ARGV...");
            System.exit(2);
        }
        Sandbox.Spec spec = new Sandbox.Spec(new SeedRoot(Path.of(a[0]), "test", false), Path.of(a[1]),
                List.of(new Sandbox.Bind(Path.of(a[3]), "/out", true), new Sandbox.Bind(Path.of(a[4]), "/ro", false)),
                Map.of("SOURCE_DATE_EPOCH", "1700000000"), false, Map.of("etc/stageforge-file", "written\n"));
        System.exit(Sandbox.run(spec, List.of(a).subList(6, a.length), Path.of(a[2]), false));
    }
}

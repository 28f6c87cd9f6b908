package org.stageforge.build;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Entry point for tests that need {@link Emerge} in another process (as a normal user, or with its own stdin for
 * the interactive shell): {@code EmergeMain run|shell SEED_DIR AS_ROOT REPO CONFIG_ROOT BASE ATOM_OR_CPV}, the request
 * being {@link TestEbuildRepo#request}'s. {@code run} prints {@code exit=}, {@code built=} and {@code failed=} lines;
 * {@code shell} exits with the shell's status.
 */
public final class EmergeMain {
    private EmergeMain() {}

    public static void main(String[] a) throws Exception {
        SeedRoot seed = new SeedRoot(Path.of(a[1]), "test", Boolean.parseBoolean(a[2]));
        Path base = Path.of(a[5]);
        Emerge.Request r = new Emerge.Request(seed, Path.of(a[3]), TestEbuildRepo.NAME, List.of(), Path.of(a[4]),
                Map.of(), base.resolve("pkgdir"), base.resolve("distfiles"), base.resolve("logs"),
                a[0].equals("run") ? List.of(a[6]) : List.of(), 1, false, false, null, List.of(), 1700000000L);
        if (a[0].equals("shell")) System.exit(Emerge.shell(r, base.resolve("scratch"), a[6]));
        Emerge.Result res = Emerge.run(r, base.resolve("scratch"));
        System.out.println("exit=" + res.exit());
        System.out.println("built=" + String.join(" ", res.built()));
        System.out.println("failed=" + res.failedCpv());
        System.exit(0);
    }
}

package org.stageforge.phase;

import org.stageforge.vdb.VdbEntry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything a phase run of one package needs.
 *
 * @param category         the package's category
 * @param pf               its PF ("name-version[-rN]")
 * @param slot             SLOT as stored ("0", "2/2.1")
 * @param use              the package's USE (as built: binary packages run with their own USE)
 * @param eapi             EAPI ("0" when absent)
 * @param repository       the repository it came from ("" when unknown)
 * @param definedPhases    DEFINED_PHASES, or null when the metadata lacks it (then the saved
 *                         environment decides)
 * @param environmentBz2   the saved environment (environment.bz2)
 * @param root             ROOT: the directory being assembled
 * @param buildDir         where per-package temporary directories and {@code logs/} go (outside ROOT)
 * @param image            D: the package's image on disk; required for pkg_preinst (before the
 *                         merge; the phase may change it, the merge must use the changed image),
 *                         optional for pkg_postinst (the image just merged); ignored otherwise
 * @param replacingVersions REPLACING_VERSIONS (versions of the same slot being replaced)
 * @param replacedByVersion REPLACED_BY_VERSION (for pkg_prerm/pkg_postrm of a replaced version), or null
 * @param sourceDateEpoch  SOURCE_DATE_EPOCH passed to the phase, or null
 */
public record PhaseContext(String category, String pf, String slot, String use, String eapi, String repository,
        String definedPhases, byte[] environmentBz2, Path root, Path buildDir, Path image,
        List<String> replacingVersions, String replacedByVersion, String sourceDateEpoch) {

    public PhaseContext {
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(pf, "pf");
        Objects.requireNonNull(environmentBz2, "environmentBz2");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(buildDir, "buildDir");
        slot = slot == null || slot.isBlank() ? "0" : slot.strip();
        use = use == null ? "" : use.strip();
        eapi = eapi == null || eapi.isBlank() ? "0" : eapi.strip();
        repository = repository == null ? "" : repository.strip();
        replacingVersions = List.copyOf(replacingVersions == null ? List.of() : replacingVersions);
    }

    /** A binary package about to be installed into {@code root}. */
    public static PhaseContext forBinary(org.stageforge.binpkg.PackageMetadata md, Path root, Path buildDir) {
        byte[] env = md.environmentBz2();
        if (env == null) {
            throw new org.stageforge.StageforgeException(md.get("CATEGORY") + "/" + md.get("PF")
                    + ": binary package has no environment.bz2, its phases cannot run");
        }
        return new PhaseContext(md.get("CATEGORY"), md.get("PF"), md.get("SLOT"), md.get("USE"), md.get("EAPI"),
                md.get("repository"), md.get("DEFINED_PHASES"), env, root, buildDir, null, List.of(), null, null);
    }

    /** An installed package of {@code root} (for pkg_prerm/pkg_postrm when it is replaced or removed). */
    public static PhaseContext forInstalled(VdbEntry e, Path root, Path buildDir) {
        byte[] env = e.file("environment.bz2").orElseThrow(() -> new org.stageforge.StageforgeException(
                e.cpv() + ": installed package has no environment.bz2, its phases cannot run"));
        return new PhaseContext(e.category(), e.pf(), e.slot(), e.get("USE"), e.eapi(), e.get("repository"),
                e.value("DEFINED_PHASES").orElse(null), env, root, buildDir, null, List.of(), null, null);
    }

    /**
     * A package known only by its CPV, SLOT and saved environment (what the merge engine's phase
     * interface passes): USE and EAPI are read from the environment's own declarations.
     */
    public static PhaseContext fromEnvironment(String cpv, String slot, byte[] environmentBz2, String definedPhases,
            Path root, Path buildDir) {
        int slash = cpv.indexOf('/');
        if (slash <= 0) throw new org.stageforge.StageforgeException("bad package name '" + cpv + "'");
        Map<String, String> vars = declared(BashPhaseRunner.decompress(environmentBz2, cpv), Set.of("USE", "EAPI"));
        return new PhaseContext(cpv.substring(0, slash), cpv.substring(slash + 1), slot, vars.get("USE"),
                vars.get("EAPI"), "", definedPhases, environmentBz2, root, buildDir, null, List.of(), null, null);
    }

    private static final Pattern DECLARE = Pattern.compile("^declare -[-a-zA-Z]* ([A-Za-z_][A-Za-z0-9_]*)=\"([^\"$`\\\\]*)\"$");

    /** Simple double-quoted top-level declarations of the given names in a saved environment. */
    static Map<String, String> declared(byte[] environment, Set<String> names) {
        Map<String, String> out = new HashMap<>();
        for (String line : new String(environment, StandardCharsets.UTF_8).split("\n")) {
            if (!line.startsWith("declare ")) continue;
            Matcher m = DECLARE.matcher(line);
            if (m.matches() && names.contains(m.group(1))) out.putIfAbsent(m.group(1), m.group(2));
        }
        return out;
    }

    public String cpv() { return category + "/" + pf; }

    public PhaseContext withImage(Path image) {
        return new PhaseContext(category, pf, slot, use, eapi, repository, definedPhases, environmentBz2, root,
                buildDir, image, replacingVersions, replacedByVersion, sourceDateEpoch);
    }

    public PhaseContext withReplacingVersions(List<String> versions) {
        return new PhaseContext(category, pf, slot, use, eapi, repository, definedPhases, environmentBz2, root,
                buildDir, image, versions, replacedByVersion, sourceDateEpoch);
    }

    public PhaseContext withReplacedByVersion(String version) {
        return new PhaseContext(category, pf, slot, use, eapi, repository, definedPhases, environmentBz2, root,
                buildDir, image, replacingVersions, version, sourceDateEpoch);
    }

    public PhaseContext withSourceDateEpoch(String epoch) {
        return new PhaseContext(category, pf, slot, use, eapi, repository, definedPhases, environmentBz2, root,
                buildDir, image, replacingVersions, replacedByVersion, epoch);
    }
}

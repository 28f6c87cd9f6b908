package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.spec.StageSpec;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code <name>-<version>.json}: the stage's name and version, its inputs (repository digest, binhost index
 * digests, the lock's sha256), the archives' sha256 and every installed package with version, slot, repository,
 * USE and size (the VDB's SIZE, else the bytes of its files in the root), from the root's VDB. No wall-clock time: the same build gives the same bytes.
 */
final class Manifest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Manifest() {}

    static void write(Path file, StageSpec spec, Lock lock, Path root, Parts.Plan plan, Map<String, Object> artifacts)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", spec.name());
        m.put("version", spec.version());
        // the version that built, also when replaying a lock another version wrote
        m.put("stageforge", org.stageforge.StageforgeVersion.get());
        m.put("source_date_epoch", plan.sourceDateEpoch());
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("repo", lock.repo());
        if (!lock.overlays().isEmpty()) inputs.put("overlays", lock.overlays());
        inputs.put("profile", spec.profile());
        inputs.put("mixins", spec.mixins());
        inputs.put("binhosts", lock.binhosts());
        inputs.put("lock_sha256", Build.sha256(new String(lock.toBytes(), java.nio.charset.StandardCharsets.UTF_8)));
        m.put("inputs", inputs);
        m.put("artifacts", artifacts);
        List<Map<String, Object>> pkgs = new ArrayList<>();
        for (VdbEntry e : Vdb.open(root).installed()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("cpv", e.cpv());
            p.put("slot", e.value("SLOT").orElse("0"));
            p.put("repository", e.value("repository").orElse(null));
            p.put("use", new ArrayList<>(new java.util.TreeSet<>(e.use())));
            p.put("size", e.size().isPresent() ? e.size().getAsLong() : installedSize(root, e));
            pkgs.add(p);
        }
        pkgs.sort(java.util.Comparator.comparing(p -> (String) p.get("cpv")));
        m.put("packages", pkgs);
        StateStore.writeAtomically(file, JSON.writeValueAsBytes(m));
    }

    /** Bytes of the package's regular files present in the root (when its VDB entry has no SIZE). */
    private static long installedSize(Path root, VdbEntry e) throws IOException {
        long size = 0;
        for (org.stageforge.vdb.ContentsEntry c : e.contents()) {
            if (c.type() != org.stageforge.vdb.ContentsEntry.Type.OBJ) continue;
            Path p = root.resolve(c.path().replaceFirst("^/+", ""));
            if (java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) size += java.nio.file.Files.size(p);
        }
        return size;
    }
}

package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A lock file (JSON, see docs/spec.md): everything a build resolved, so a replay uses exactly the same inputs.
 *
 * @param stageforge      the version that wrote it
 * @param spec            the spec's file name, relative to the lock's directory
 * @param sourceDateEpoch the epoch every timestamp is clamped to
 * @param repo            the repository/profile digest ({@code git:COMMIT}, {@code sha512:..} or {@code tree:..})
 * @param binhosts        each binhost's index digest, in spec order
 * @param packages        every chosen binary package, in merge order
 */
public record Lock(String stageforge, String spec, long sourceDateEpoch, String repo, List<Index> binhosts,
                   List<Pkg> packages) {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public Lock {
        binhosts = List.copyOf(binhosts);
        packages = List.copyOf(packages);
    }

    /** One binhost: its URL or directory and the SHA-512 of its Packages index. */
    public record Index(String url, String sha512) {}

    /**
     * One binary package: binhost position (0-based, spec order), PATH in that binhost, SHA-512, and the atom it
     * adds to the world file (null: none).
     */
    public record Pkg(String cpv, int binhost, String path, String sha512, String world) {}

    public static Lock read(Path file) {
        try {
            return JSON.readValue(Files.readAllBytes(file), Lock.class);
        } catch (IOException e) {
            throw new StageforgeException(file + ": not a stageforge lock: " + e.getMessage().lines().findFirst().orElse(""),
                    ExitCodes.BAD_INPUT, e);
        }
    }

    public byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void write(Path file) {
        try {
            StateStore.writeAtomically(file, toBytes());
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + file + ": " + org.stageforge.util.IoErrors.reason(file, e), e);
        }
    }
}

package org.stageforge.phase;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What one phase run did. {@code ran} is false when the package does not define the phase
 * (nothing was started). {@code skippedCommands} are the host commands the phase called that
 * stageforge replaces by no-op shims (cache regeneration, service managers, account tools).
 */
public record PhaseResult(String cpv, String phase, boolean ran, int exitStatus, List<ElogMessage> messages,
        List<FileIntent> intents, List<String> skippedCommands, Duration duration, Path log) {
    public PhaseResult {
        messages = List.copyOf(messages);
        intents = List.copyOf(intents);
        skippedCommands = List.copyOf(skippedCommands);
    }

    /** Messages of one level, in order. */
    public List<String> messages(ElogMessage.Level level) {
        return messages.stream().filter(m -> m.level() == level).map(ElogMessage::text).toList();
    }
}

package org.stageforge.binhost;

import org.junit.jupiter.api.Test;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.index.PackagesEntry;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FetchResultTest {
    private static final IndexRef REF = new IndexRef(new PackagesEntry(Map.of("CPV", "a/b-1", "SIZE", "1"), Map.of(), 0));

    private static FetchFailure failure(int code) {
        return new FetchFailure(REF, new StageforgeException("x", code, null));
    }

    @Test
    void exitCodeReflectsTheWorstFailure() {
        assertThat(new FetchResult(List.of(), List.of()).exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(new FetchResult(List.of(), List.of(failure(ExitCodes.NOT_FOUND))).exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(new FetchResult(List.of(), List.of(failure(ExitCodes.NOT_FOUND), failure(ExitCodes.FAILURE))).exitCode())
                .isEqualTo(ExitCodes.FAILURE);
        assertThat(new FetchResult(List.of(), List.of(failure(ExitCodes.FAILURE), failure(ExitCodes.VERIFY),
                failure(ExitCodes.NOT_FOUND))).exitCode()).isEqualTo(ExitCodes.VERIFY);
        FetchResult mixed = new FetchResult(List.of(), List.of(failure(ExitCodes.NOT_FOUND), failure(ExitCodes.VERIFY)));
        assertThat(mixed.missing()).hasSize(1);
        assertThat(mixed.ok()).isFalse();
    }
}

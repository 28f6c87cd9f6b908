package org.stageforge.util;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SuggestTest {
    @Test
    void distanceCountsEditsAndSwaps() {
        assertThat(Suggest.distance("hostnme", "hostname")).isEqualTo(1);
        assertThat(Suggest.distance("hostanme", "hostname")).isEqualTo(1);
        assertThat(Suggest.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggest.distance("", "abc")).isEqualTo(3);
        assertThat(Suggest.distance("same", "same")).isZero();
    }

    @Test
    void suggestsOnlyCloseCandidates() {
        List<String> keys = List.of("hostname", "keymap", "lang", "locales", "timezone");
        assertThat(Suggest.didYouMean("hostnme", keys)).isEqualTo(" (did you mean 'hostname'?)");
        assertThat(Suggest.didYouMean("timzeone", keys)).isEqualTo(" (did you mean 'timezone'?)");
        assertThat(Suggest.didYouMean("users", keys)).isEmpty();
        // short words allow one edit only
        assertThat(Suggest.closest("lng", keys)).contains("lang");
        assertThat(Suggest.closest("xy", keys)).isEmpty();
        // an exact match is not a suggestion
        assertThat(Suggest.closest("lang", keys)).isEmpty();
    }

    @Test
    void pathsAreJudgedByTheirLastComponent() {
        List<String> cps = List.of("app-misc/app", "dev-libs/lib", "app-misc/foo");
        assertThat(Suggest.didYouMeanPath("app-misc/none", cps)).isEmpty();
        assertThat(Suggest.didYouMeanPath("app-mics/foo", cps)).isEqualTo(" (did you mean 'app-misc/foo'?)");
        assertThat(Suggest.didYouMeanPath("default/linux/amd64/23.0/sytemd",
                List.of("default/linux/amd64/23.0/desktop", "default/linux/amd64/23.0/systemd")))
                .isEqualTo(" (did you mean 'default/linux/amd64/23.0/systemd'?)");
    }
}

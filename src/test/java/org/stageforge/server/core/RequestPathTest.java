package org.stageforge.server.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestPathTest {
    @Test
    void decodesEachSegmentOnce() {
        assertThat(RequestPath.parse("/binhost/main/Packages").segments()).containsExactly("binhost", "main", "Packages");
        assertThat(RequestPath.parse("/binhost/main/").segments()).containsExactly("binhost", "main");
        assertThat(RequestPath.parse("/").segments()).isEmpty();
        assertThat(RequestPath.parse("/a/g%2B%2B-13.1").segments()).containsExactly("a", "g++-13.1");
        // decoded once: %252e%252e is the literal name "%2e%2e", not a parent reference
        assertThat(RequestPath.parse("/a/%252e%252e").segments()).containsExactly("a", "%2e%2e");
        assertThat(RequestPath.parse("/a/%C3%A9").segments()).containsExactly("a", "é");
    }

    @Test
    void refusesTraversalAndOddSegmentsWith400() {
        for (String bad : new String[] {"/a/../b", "/a/./b", "/a//b", "/a/%2e%2e/b", "/a/%2E%2e", "/a/.%2e",
                "/a/b%2fc", "/a/b%5cc", "/a/b\\c", "/a/%00", "/a/%0a", "/a/%zz", "/a/%4", "/a/%ff", "a/b", "/a b"}) {
            assertThatThrownBy(() -> RequestPath.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(HttpRefusal.class, r -> {
                        assertThat(r.status()).isEqualTo(400);
                        assertThat(r.getMessage()).startsWith("bad path: ").doesNotContain("\n");
                    });
        }
    }
}

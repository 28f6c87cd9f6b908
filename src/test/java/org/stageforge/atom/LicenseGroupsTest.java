package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.stageforge.testutil.Fixtures;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LicenseGroupsTest {

    private static final String TEXT = """
            # comment
            GPL-COMPATIBLE GPL-2 MIT  # trailing comment
            FREE-SOFTWARE @GPL-COMPATIBLE Apache-2.0 -Bad
            FREE @FREE-SOFTWARE CC-BY-4.0
            EULA Oracle NVIDIA
            LONELY
            FREE Extra
            CYCLE-A @CYCLE-B a-lic
            CYCLE-B @CYCLE-A b-lic
            """;

    private final LicenseGroups groups = LicenseGroups.parse(TEXT);

    @Test
    void readsGroupsLikeGrabdict() {
        assertThat(groups.groupNames()).containsExactly("GPL-COMPATIBLE", "FREE-SOFTWARE", "FREE", "EULA", "CYCLE-A", "CYCLE-B");
        assertThat(groups.members("GPL-COMPATIBLE")).containsExactly("GPL-2", "MIT");
        assertThat(groups.members("FREE")).containsExactly("@FREE-SOFTWARE", "CC-BY-4.0", "Extra");
        assertThat(groups.members("LONELY")).isNull();
    }

    @Test
    void expandsNestedGroupsAndStopsOnCycles() {
        assertThat(groups.licenses("FREE")).containsExactlyInAnyOrder("GPL-2", "MIT", "Apache-2.0", "CC-BY-4.0", "Extra");
        assertThat(groups.licenses("CYCLE-A")).containsExactlyInAnyOrder("a-lic", "b-lic");
        assertThat(groups.licenses("NOPE")).isEmpty();
        assertThat(groups.expand(List.of("*", "-@EULA", "@NOPE", "foo"))).containsExactly("*", "-Oracle", "-NVIDIA", "@NOPE", "foo");
    }

    @Test
    void stacksLaterFiles() {
        LicenseGroups more = groups.stack(LicenseGroups.parse("EULA Other\nNEW x y\n"));
        assertThat(more.members("EULA")).containsExactly("Oracle", "NVIDIA", "Other");
        assertThat(more.licenses("NEW")).containsExactly("x", "y");
    }

    @Test
    void acceptLicenseLaterTokensWin() {
        var accept = groups.acceptLicense(List.of("*", "-@EULA"));
        assertThat(accept.accepts("GPL-2")).isTrue();
        assertThat(accept.accepts("Whatever")).isTrue();
        assertThat(accept.accepts("Oracle")).isFalse();
        var free = groups.acceptLicense(List.of("-*", "@FREE"));
        assertThat(free.accepts("MIT")).isTrue();
        assertThat(free.accepts("Oracle")).isFalse();
        assertThat(free.plus(List.of("Oracle")).accepts("Oracle")).isTrue();
        assertThat(free.plus(List.of("-MIT")).accepts("MIT")).isFalse();
        assertThat(groups.acceptLicense(List.of()).accepts("MIT")).isFalse();
    }

    @Test
    void missingLicensesLikePortage() {
        var accept = groups.acceptLicense(List.of("-*", "@FREE"));
        assertThat(accept.accepts("GPL-2 || ( Oracle MIT )", Set.of())).isTrue();
        assertThat(accept.missing(DepString.parse("GPL-2 Oracle", DepString.Kind.LICENSE), Set.of())).containsExactly("Oracle");
        assertThat(accept.missing(DepString.parse("|| ( Oracle NVIDIA )", DepString.Kind.LICENSE), Set.of())).containsExactly("Oracle", "NVIDIA");
        assertThat(accept.missing(DepString.parse("|| ( ( MIT Oracle ) NVIDIA )", DepString.Kind.LICENSE), Set.of()))
                .containsExactly("Oracle", "NVIDIA");
        assertThat(accept.accepts("|| ( ( MIT Oracle ) ( GPL-2 Extra ) )", Set.of())).isTrue();
        assertThat(accept.accepts("bin? ( Oracle ) MIT", Set.of())).isTrue();
        assertThat(accept.accepts("bin? ( Oracle ) MIT", Set.of("bin"))).isFalse();
        assertThat(accept.accepts("|| ( bin? ( Oracle ) NVIDIA )", Set.of())).isFalse();
    }

    @Test
    void gentooGroups() {
        LicenseGroups gentoo = LicenseGroups.read(Fixtures.require("gentoo-repo/profiles/license_groups"));
        Set<String> free = gentoo.licenses("FREE");
        assertThat(free).contains("GPL-2", "MIT", "Apache-2.0", "0BSD").doesNotContainAnyElementsOf(gentoo.licenses("EULA"));
        assertThat(gentoo.licenses("BINARY-REDISTRIBUTABLE")).containsAll(free);
        var accept = gentoo.acceptLicense(List.of("-*", "@FREE"));
        assertThat(accept.accepts("GPL-2+ LGPL-2.1", Set.of())).isTrue();
        assertThat(accept.accepts(String.join(" ", gentoo.licenses("EULA")), Set.of())).isFalse();
    }
}

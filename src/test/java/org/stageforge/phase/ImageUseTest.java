package org.stageforge.phase;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Whether pkg_preinst may look at the image, read from a saved environment as bash's declare -f writes it. */
class ImageUseTest {
    private static boolean uses(String env) {
        return ImageUse.mayUseImageIn(env.getBytes(StandardCharsets.UTF_8), "pkg_preinst");
    }

    private static String fn(String name, String... body) {
        return name + " () \n{ \n    " + String.join(";\n    ", body) + "\n}\n";
    }

    @Test
    void rootOnlyPhaseDoesNotNeedTheImage() {
        String env = "declare -x D=\"/var/tmp/x\"\n"
                + fn("pkg_preinst", "mkdir -p \"${EROOT}/var/lib/x\"", "helper \"${ROOT}\"")
                + fn("helper", "einfo \"${1}\"")
                + fn("unrelated", "rm -rf \"${ED}\"/usr");
        assertThat(uses(env)).isFalse();
    }

    @Test
    void directOrTransitiveReferencesNeedIt() {
        assertThat(uses(fn("pkg_preinst", "mv \"${ED}\"/etc/a \"${ED}\"/etc/b"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "ls $D/usr"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "x=${D%/}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "a", "true") + fn("a", "b") + fn("b", "[[ -e ${ED}/x ]]"))).isTrue();
        // recursion ends
        assertThat(uses(fn("pkg_preinst", "a") + fn("a", "pkg_preinst"))).isFalse();
    }

    @Test
    void dynamicCodeCountsAsUsingIt() {
        assertThat(uses(fn("pkg_preinst", "eval \"ls \\$X\""))).isTrue();
        assertThat(uses(fn("pkg_preinst", "v=E; echo ${!v}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "local -n ref=X"))).isTrue();
        // not as declare -f writes it: cannot tell
        assertThat(uses("pkg_preinst() { :; }\n")).isTrue();
    }

    @Test
    void namesThatOnlyContainDAreNotTheImage() {
        assertThat(uses(fn("pkg_preinst", "echo ${DESTDIR} $DISTDIR ${ED_X} $EDITOR"))).isFalse();
    }
}

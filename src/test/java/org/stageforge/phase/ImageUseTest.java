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

    /** preserve-libs.eclass's preserve_old_lib as bash's declare -f writes it (the body shortened). */
    private static final String PRESERVE_OLD_LIB = "preserve_old_lib () \n{ \n"
            + "    if [[ ${EBUILD_PHASE} != \"preinst\" ]]; then\n"
            + "        die \"preserve_old_lib() must be called from pkg_preinst() only\";\n"
            + "    fi;\n"
            + "    has preserve-libs ${FEATURES} && return 0;\n"
            + "    local lib dir;\n"
            + "    for lib in \"$@\";\n    do\n"
            + "        [[ -e ${EROOT}/${lib} ]] || continue;\n"
            + "        cp \"${EROOT}/${lib}\" \"${ED}/${lib}\" || die \"cp ${lib} failed\";\n"
            + "    done\n}\n";

    private static String withFeatures(String features, String... more) {
        return "declare -x FEATURES=\"" + features + "\"\n"
                + fn("pkg_preinst", "preserve_old_lib /$(get_libdir)/libncurses.so.5") + PRESERVE_OLD_LIB
                + String.join("", more);
    }

    @Test
    void aFeaturesGuardThatReturnsEndsTheFunction() {
        // ncurses' case: with preserve-libs (Portage's default) the copy into ED is never reached
        assertThat(uses(withFeatures("sandbox preserve-libs userpriv sandbox"))).isFalse();
        assertThat(uses(withFeatures("sandbox userpriv"))).isTrue();
        assertThat(uses(withFeatures("xpreserve-libs"))).isTrue();
    }

    @Test
    void aFeaturesGuardIsOnlyFoldedWhereItSurelyRuns() {
        // inside a block (declare -f indents it further): it may not run
        String nested = "declare -x FEATURES=\"preserve-libs\"\n" + fn("pkg_preinst", "if [[ -n $1 ]]; then\n"
                + "        has preserve-libs ${FEATURES} && return 0;\n    fi", "cp a \"${ED}\"/b");
        assertThat(uses(nested)).isTrue();
        // the image used before the guard
        assertThat(uses("declare -x FEATURES=\"preserve-libs\"\n"
                + fn("pkg_preinst", "ls \"${D}\"", "has preserve-libs ${FEATURES} && return 0"))).isTrue();
        // FEATURES changed (or possibly changed) anywhere in the environment: its declared value proves nothing
        assertThat(uses(withFeatures("preserve-libs", fn("pkg_setup", "FEATURES+=\" x\""))))
                .isTrue();
        assertThat(uses(withFeatures("preserve-libs", fn("other", "unset FEATURES")))).isTrue();
        assertThat(uses(withFeatures("preserve-libs", fn("other", "local FEATURES")))).isTrue();
        // reading it elsewhere is fine
        assertThat(uses(withFeatures("preserve-libs", fn("other", "echo \"${FEATURES} $FEATURES\"")))).isFalse();
    }

    @Test
    void anIndirectExpansionOfABoundedLocalNameIsNotTheImage() {
        // multilib.eclass's get_libdir, which pkg_preinst functions call for paths
        String getLibdir = fn("get_libdir", "local libdir_var=\"LIBDIR_${ABI}\"", "local libdir=\"lib\"",
                "[[ -n ${ABI} && -n ${!libdir_var} ]] && libdir=${!libdir_var}", "echo \"${libdir}\"");
        assertThat(uses(fn("pkg_preinst", "mkdir -p \"${EROOT}/$(get_libdir)\"") + getLibdir)).isFalse();
        assertThat(uses(fn("pkg_preinst", "echo ${!LIBDIR_*} ${!arr[@]}"))).isFalse();
        // a name that may be D or ED, or one not bounded to this function
        assertThat(uses(fn("pkg_preinst", "local v=\"E${X}\"", "echo ${!v}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "local v=\"$1\"", "echo ${!v}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "local v=LIBDIR_x", "read v", "echo ${!v}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "echo ${!v}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "local v=(D)", "echo ${!v}"))).isTrue();
        assertThat(uses(fn("pkg_preinst", "local v=LIBDIR_x", "v[1]=D", "echo ${!v[1]}"))).isTrue();
    }
}

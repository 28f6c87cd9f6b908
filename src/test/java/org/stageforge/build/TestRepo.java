package org.stageforge.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A synthetic EAPI 8 ebuild repository ({@code sfrepo}) for source builds: {@link #COUNT} packages
 * {@code sf-test/p01 … p20}, each a tiny C program (source in {@code files/}) linked statically, installed to
 * {@code /usr/bin/pNN}, printing {@code pNN: hello} or, with {@code USE=loud} (compiled with
 * {@code -DGREETING_LOUD}), {@code pNN: HELLO}. Package {@code pNN} (N ≥ 2) has {@code RDEPEND=sf-test/p(N-1)}, so
 * every package pulls in the chain below it. {@code sf-test/broken} fails to compile ({@code #error}) unless
 * {@code USE=fixed} (no REQUIRED_USE: the failure is the build's). The profile {@code default} is the minimal one
 * {@code ../shared/tools/README.md} describes; the md5-cache is written here in Portage's md5-dict format, with
 * each ebuild's real md5 so Portage takes it as valid.
 */
public final class TestRepo {
    public static final String NAME = "sfrepo";
    public static final String OVERLAY = "sfextra";
    public static final String CATEGORY = "sf-test";
    public static final int COUNT = 20;

    private TestRepo() {}

    /** {@code sf-test/pNN}. */
    public static String pkg(int n) {
        return String.format("%s/p%02d", CATEGORY, n);
    }

    /** The line {@code /usr/bin/pNN} prints. */
    public static String expected(int n, boolean loud) {
        return String.format("p%02d: %s", n, loud ? "HELLO" : "hello");
    }

    /** Writes the repository under {@code dir} and returns it. */
    public static Path create(Path dir) throws IOException {
        write(dir.resolve("profiles/repo_name"), NAME + "\n");
        write(dir.resolve("profiles/categories"), CATEGORY + "\n");
        write(dir.resolve("profiles/arch.list"), "amd64\n");
        write(dir.resolve("profiles/profiles.desc"), "amd64 default stable\n");
        write(dir.resolve("profiles/license_groups"), "FREE MIT\n");
        write(dir.resolve("licenses/MIT"), "MIT License\n");
        write(dir.resolve("metadata/layout.conf"), "masters =\nthin-manifests = true\nsign-manifests = false\n"
                + "cache-formats = md5-dict\n");
        write(dir.resolve("profiles/default/eapi"), "8\n");
        write(dir.resolve("profiles/default/make.defaults"), """
                ARCH="amd64"
                ACCEPT_KEYWORDS="amd64"
                ACCEPT_LICENSE="@FREE"
                CHOST="x86_64-pc-linux-gnu"
                CFLAGS="-O1"
                CXXFLAGS="-O1"
                LDFLAGS=""
                ELIBC="glibc"
                KERNEL="linux"
                USERLAND="GNU"
                USE_EXPAND="ELIBC KERNEL USERLAND"
                USE_EXPAND_UNPREFIXED="ARCH"
                USE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL USERLAND"
                USE_EXPAND_VALUES_ARCH="amd64"
                USE_EXPAND_VALUES_ELIBC="glibc"
                USE_EXPAND_VALUES_KERNEL="linux"
                USE_EXPAND_VALUES_USERLAND="GNU"
                IUSE_IMPLICIT="prefix prefix-guest prefix-stack"
                CONFIG_PROTECT="/etc"
                """);
        write(dir.resolve("profiles/default/packages"), "");
        for (int n = 1; n <= COUNT; n++) {
            String name = String.format("p%02d", n);
            String c = """
                    #include <stdio.h>
                    int main(void) {
                    #ifdef GREETING_LOUD
                        puts("%1$s: HELLO");
                    #else
                        puts("%1$s: hello");
                    #endif
                        return 0;
                    }
                    """.formatted(name);
            ebuild(dir, name, "1.0", "loud", n == 1 ? "" : pkg(n - 1), c, "$(usex loud -DGREETING_LOUD '')");
        }
        ebuild(dir, "broken", "1.0", "fixed", "", """
                #include <stdio.h>
                #ifndef FIXED
                #error "sf-test/broken needs USE=fixed"
                #endif
                int main(void) {
                    puts("broken: fixed");
                    return 0;
                }
                """, "$(usex fixed -DFIXED '')");
        return dir;
    }

    /**
     * An overlay ({@link #OVERLAY}, masters = {@link #NAME}) with {@code sf-test/approval}, which builds only once
     * {@link #APPROVAL} exists: what {@code --shell-on-failure} can fix (the shell puts the file into the shared
     * distfiles directory).
     */
    public static Path createOverlay(Path dir) throws IOException {
        write(dir.resolve("profiles/repo_name"), OVERLAY + "\n");
        write(dir.resolve("profiles/categories"), CATEGORY + "\n");
        write(dir.resolve("metadata/layout.conf"), "masters = " + NAME + "\nthin-manifests = true\nsign-manifests = false\n"
                + "cache-formats = md5-dict\n");
        ebuild(dir, "approval", "1.0", "", "", """
                #include <stdio.h>
                int main(void) {
                    puts("approval: granted");
                    return 0;
                }
                """, "", "[[ -f " + APPROVAL + " ]] || die \"sf-test/approval needs " + APPROVAL + "\"\n\t");
        return dir;
    }

    /**
     * An overlay ({@code sffetch}) with {@code sf-test/fetched-1.0}, whose C source is a distfile at {@code url}
     * (RESTRICT=mirror: only that URL), with its Manifest DIST digests. Its src_compile dies when the build has any
     * network interface but {@code lo} ({@code /proc/net/dev} is per network namespace), so a build proves it ran
     * offline after the fetch step.
     */
    public static Path createFetchingOverlay(Path dir, String url, byte[] distfile) throws IOException {
        String file = url.substring(url.lastIndexOf('/') + 1);
        write(dir.resolve("profiles/repo_name"), "sffetch\n");
        write(dir.resolve("profiles/categories"), CATEGORY + "\n");
        write(dir.resolve("metadata/layout.conf"), "masters = " + NAME + "\nthin-manifests = true\nsign-manifests = false\n"
                + "cache-formats = md5-dict\n");
        String text = """
                # Copyright stageforge tests
                EAPI=8

                DESCRIPTION="stageforge test program fetched"
                HOMEPAGE="https://example.org/fetched"
                SRC_URI="%1$s"
                S="${WORKDIR}"
                LICENSE="MIT"
                SLOT="0"
                KEYWORDS="amd64"
                RESTRICT="mirror"

                src_unpack() {
                	cp "${DISTDIR}/%2$s" "${S}/fetched.c" || die
                }

                src_compile() {
                	if awk 'NR > 2 && $1 != "lo:"' /proc/net/dev | grep -q .; then die "the build has network"; fi
                	${CC:-gcc} ${CFLAGS} -static -o fetched fetched.c || die "compiling fetched failed"
                }

                src_install() {
                	dobin fetched
                }
                """.formatted(url, file);
        Path pd = dir.resolve(CATEGORY).resolve("fetched");
        write(pd.resolve("fetched-1.0.ebuild"), text);
        org.bouncycastle.crypto.digests.Blake2bDigest b2 = new org.bouncycastle.crypto.digests.Blake2bDigest(512);
        b2.update(distfile, 0, distfile.length);
        byte[] b2out = new byte[64];
        b2.doFinal(b2out, 0);
        String sha512;
        try {
            sha512 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(distfile));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        write(pd.resolve("Manifest"), "DIST " + file + " " + distfile.length + " BLAKE2B " + HexFormat.of().formatHex(b2out)
                + " SHA512 " + sha512 + "\n");
        write(dir.resolve("metadata/md5-cache").resolve(CATEGORY).resolve("fetched-1.0"), "DEFINED_PHASES=compile install unpack\n"
                + "DESCRIPTION=stageforge test program fetched\nEAPI=8\nHOMEPAGE=https://example.org/fetched\n"
                + "KEYWORDS=amd64\nLICENSE=MIT\nRESTRICT=mirror\nSLOT=0\nSRC_URI=" + url + "\n_md5_=" + md5(text) + "\n");
        return dir;
    }

    /** The file sf-test/approval needs to build: in the sandbox's shared distfiles directory. */
    public static final String APPROVAL = "/var/cache/distfiles/sf-approved";

    private static void ebuild(Path repo, String name, String version, String iuse, String rdepend, String source,
                               String defines) throws IOException {
        ebuild(repo, name, version, iuse, rdepend, source, defines, "");
    }

    private static void ebuild(Path repo, String name, String version, String iuse, String rdepend, String source,
                               String defines, String compileGuard) throws IOException {
        Path pd = repo.resolve(CATEGORY).resolve(name);
        write(pd.resolve("files/" + name + ".c"), source);
        String text = """
                # Copyright stageforge tests
                EAPI=8

                DESCRIPTION="stageforge test program %1$s"
                HOMEPAGE="https://example.org/%1$s"
                S="${WORKDIR}"
                LICENSE="MIT"
                SLOT="0"
                KEYWORDS="amd64"
                IUSE="%2$s"
                RDEPEND="%3$s"

                src_unpack() {
                	cp "${FILESDIR}/%1$s.c" "${S}/" || die
                }

                src_compile() {
                	%5$s${CC:-gcc} ${CFLAGS} %4$s -static -o %1$s %1$s.c || die "compiling %1$s failed"
                }

                src_install() {
                	dobin %1$s
                }
                """.formatted(name, iuse, rdepend, defines, compileGuard);
        write(pd.resolve(name + "-" + version + ".ebuild"), text);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("DEFINED_PHASES", "compile install unpack");
        m.put("DESCRIPTION", "stageforge test program " + name);
        m.put("EAPI", "8");
        m.put("HOMEPAGE", "https://example.org/" + name);
        m.put("IUSE", iuse);
        m.put("KEYWORDS", "amd64");
        m.put("LICENSE", "MIT");
        if (!rdepend.isEmpty()) m.put("RDEPEND", rdepend);
        m.put("SLOT", "0");
        m.put("_md5_", md5(text));
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        write(repo.resolve("metadata/md5-cache").resolve(CATEGORY).resolve(name + "-" + version), sb.toString());
    }

    /** All packages of the chain up to {@code pNN}, as {@code cat/pkg-1.0} cpvs. */
    public static List<String> chain(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 1; i <= n; i++) l.add(pkg(i) + "-1.0");
        return l;
    }

    private static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path p, String s) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }
}

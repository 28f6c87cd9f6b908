package org.stageforge.binhost;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/** Where a binhost lives: a local directory (a path or {@code file://} URL) or an HTTP(S) base URL. */
public sealed interface BinhostSource permits BinhostSource.Local, BinhostSource.Http {

    /** A directory holding {@code Packages} and the binpkgs under their index PATHs. */
    record Local(Path dir) implements BinhostSource {
        @Override
        public String display() { return dir.toString(); }
    }

    /**
     * An HTTP(S) base URL without a trailing slash or user info; {@code userInfo} ({@code user:password}
     * from the URL, or null) is sent as Basic authentication to that host only and never displayed.
     */
    record Http(URI base, String userInfo) implements BinhostSource {
        public Http(URI base) {
            this(base, null);
        }

        @Override
        public String display() { return base.toString(); }

        @Override
        public String toString() { return "Http[" + base + (userInfo == null ? "" : ", with credentials") + "]"; }
    }

    /** The binhost as the user names it. */
    String display();

    static BinhostSource parse(String spec) {
        String lower = spec.toLowerCase(Locale.ROOT);
        try {
            if (lower.startsWith("http://") || lower.startsWith("https://")) {
                URI u = new URI(spec.replaceAll("/+$", ""));
                if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null)
                    throw new StageforgeException("binhost URL '" + withoutUserInfo(spec) + "' must be scheme://host[:port][/path]",
                            ExitCodes.USAGE, null);
                URI plain = new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null);
                return new Http(plain, u.getRawUserInfo());
            }
            if (lower.startsWith("file:")) return new Local(Path.of(new URI(spec)).toAbsolutePath().normalize());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new StageforgeException("binhost '" + withoutUserInfo(spec) + "' is not a valid URL", ExitCodes.USAGE, e);
        }
        if (lower.matches("^[a-z][a-z0-9+.-]*://.*"))
            throw new StageforgeException("binhost '" + spec + "': only http, https, file URLs and directories are supported",
                    ExitCodes.USAGE, null);
        return new Local(Path.of(spec).toAbsolutePath().normalize());
    }

    /** The URL as it may appear in messages: credentials masked. */
    private static String withoutUserInfo(String spec) {
        return spec.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1***@");
    }
}

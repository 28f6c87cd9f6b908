package org.stageforge.testutil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Whether this machine can reach a Debian mirror, asked once per run before tests start {@code mmdebstrap} or
 * {@code apt-get download}: without a network those retry for 1.5 to 2.5 minutes before they fail, once per caller.
 * The answer is the host names in the apt sources resolving, unless apt or the environment names a proxy (then
 * only the tool itself can tell).
 */
public final class DebianMirror {
    private DebianMirror() {}

    private static final Pattern URI_FIELD = Pattern.compile("(?m)^\\s*(?:URIs:\\s*(.+)|deb(?:-src)?\\s+(?:\\[[^]]*]\\s+)?(\\S+))");
    private static String answer;
    private static boolean asked;

    /** Null when a mirror may be reachable; otherwise why it is not, for a skipped test's reason. */
    public static synchronized String unreachable() {
        if (!asked) {
            answer = ask();
            asked = true;
        }
        return answer;
    }

    private static String ask() {
        if (System.getenv("http_proxy") != null || System.getenv("HTTP_PROXY") != null) return null;
        TreeSet<String> hosts = new TreeSet<>();
        try {
            for (Path p : sources()) {
                Matcher m = URI_FIELD.matcher(Files.readString(p));
                while (m.find()) {
                    String uris = m.group(1) != null ? m.group(1) : m.group(2);
                    for (String u : uris.trim().split("\\s+")) {
                        String h = URI.create(u).getHost();
                        if (h != null) hosts.add(h);
                    }
                }
            }
            if (aptNamesAProxy()) return null;
        } catch (IOException | IllegalArgumentException e) {
            return null; // sources this probe cannot read: let apt decide
        }
        if (hosts.isEmpty()) return "no Debian mirror in /etc/apt/sources.list{,.d}";
        for (String h : hosts) {
            try {
                InetAddress.getByName(h);
                return null;
            } catch (UnknownHostException e) {
                // next mirror
            }
        }
        return "no Debian mirror reachable (none of " + hosts + " resolves)";
    }

    private static boolean aptNamesAProxy() throws IOException {
        try {
            Process p = new ProcessBuilder("apt-config", "dump").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return Pattern.compile("(?im)^Acquire::(https?::)?Proxy\\S*\\s+\"[^\"]+\"").matcher(out).find();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The apt source files of this machine, sorted. */
    public static List<Path> sources() throws IOException {
        List<Path> l = new ArrayList<>();
        Path main = Path.of("/etc/apt/sources.list");
        if (Files.isRegularFile(main)) l.add(main);
        Path d = Path.of("/etc/apt/sources.list.d");
        if (Files.isDirectory(d)) {
            try (Stream<Path> s = Files.list(d)) {
                s.filter(p -> p.toString().endsWith(".list") || p.toString().endsWith(".sources")).sorted().forEach(l::add);
            }
        }
        return l;
    }
}

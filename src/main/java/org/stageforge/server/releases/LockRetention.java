package org.stageforge.server.releases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The binhost blobs a release's lock pins: each locked package whose binhost URL is one of this server's
 * binhosts ({@code …/binhost/NAME}) and whose file there has the lock's SHA-512. Their SHA-256s go into
 * {@code retained_blobs}, which binhost retention never drops.
 */
final class LockRetention {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SERVED = Pattern.compile(".*/binhost/([A-Za-z0-9][A-Za-z0-9._-]{0,99})/*");

    private LockRetention() {}

    static List<String> blobs(ServerContext ctx, Optional<byte[]> lock) throws IOException {
        if (lock.isEmpty()) return List.of();
        JsonNode root;
        try {
            root = JSON.readTree(lock.get());
        } catch (IOException e) {
            throw new HttpRefusal(422, "the lock is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        List<String> urls = new ArrayList<>();
        for (JsonNode b : root.path("binhosts")) urls.add(b.path("url").asText(""));
        Map<String, Optional<ViewManifest>> views = new HashMap<>();
        TreeSet<String> out = new TreeSet<>();
        for (JsonNode p : root.path("packages")) {
            int i = p.path("binhost").asInt(-1);
            if (i < 0 || i >= urls.size()) continue;
            Matcher m = SERVED.matcher(urls.get(i));
            if (!m.matches()) continue;
            Optional<ViewManifest> view = views.get(m.group(1));
            if (view == null) {
                Optional<Views.Pointer> ptr = ctx.views().current("binhost/" + m.group(1));
                view = ptr.isEmpty() ? Optional.empty() : Optional.of(ctx.views().manifest(ptr.get()));
                views.put(m.group(1), view);
            }
            ViewManifest.Entry e = view.map(v -> v.get(p.path("path").asText(""))).orElse(null);
            if (e != null && Hashes.ofFile(ctx.blobs().file(e.sha256()), "SHA-512").equalsIgnoreCase(p.path("sha512").asText(""))) out.add(e.sha256());
        }
        return List.copyOf(out);
    }
}

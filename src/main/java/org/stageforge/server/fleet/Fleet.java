package org.stageforge.server.fleet;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.MetadataStore;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The fleet: groups of machines following a release channel, configuration files per group and per machine
 * (merged into one signed bundle per machine), health reports, and staged rollouts that reach a canary share
 * of a group first and advance only while the admitted machines report healthy on the new version.
 * <p>
 * Rollouts are evaluated when something asks (a health report, a machine asking for its release, a status
 * query): the schedule is "no earlier than {@code interval} after the last step", read from the server clock.
 */
public final class Fleet {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** Largest configuration file and health report accepted. */
    public static final int MAX_CONFIG_FILE = 1 << 20;
    public static final int MAX_REPORT = 64 << 10;

    public record Group(String name, String channel, Optional<String> version) {}

    public record Machine(String id, String group) {}

    /** A machine just registered: its token secret is shown once. */
    public record Registered(Machine machine, String token) {}

    /**
     * One health report as stored: {@code version} the machine boots now, {@code healthy} the judgment of its last
     * cycle (empty when it had none) and {@code judged} the version that cycle ran.
     */
    public record Health(String machine, long receivedMillis, String version, String slot, Optional<Boolean> healthy,
                         String judged, String report) {}

    /** A machine with what it should run and what it last said. */
    public record MachineState(Machine machine, Optional<String> target, Optional<Health> last) {}

    public record Rollout(String id, String group, String version, Optional<String> baseline, List<Integer> steps,
                          int stage, String state, Optional<String> reason, long intervalMillis, long startedMillis,
                          long advancedMillis) {
        public Rollout {
            steps = List.copyOf(steps);
        }

        public boolean running() {
            return state.equals("running");
        }
    }

    /** A rollout with the machines it has reached, in admission order. */
    public record RolloutStatus(Rollout rollout, List<String> admitted, List<String> waiting) {}

    /** A machine's configuration bundle: a deterministic tar, its detached signature and its version. */
    public record Bundle(byte[] tar, byte[] signature, String version) {}

    private final ServerContext ctx;
    private final MetadataStore db;
    private final Function<String, List<String>> channelHistory;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param channelHistory the versions a channel has served, the current one first (releases module): the
     *                       baseline of a rollout in a group that has not been pinned by an earlier rollout
     */
    public Fleet(ServerContext ctx, Function<String, List<String>> channelHistory) {
        this.ctx = ctx;
        this.db = ctx.db();
        this.channelHistory = channelHistory;
    }

    public ServerContext context() {
        return ctx;
    }

    // --- groups and machines -------------------------------------------------------------------------------

    /**
     * Creates a group or changes the channel it follows; a non-null {@code version} pins the group to that
     * release of the channel (a rollout moves it on), null leaves the pin as it is.
     */
    public Group setGroup(String name, String channel, String version) {
        checkName("group", name);
        checkName("channel", channel);
        if (version != null && (version.isEmpty() || version.length() > 200)) throw HttpRefusal.badRequest("a version is 1 to 200 characters");
        db.transaction(c -> {
            int n;
            try (var st = c.prepareStatement("UPDATE fleet_groups SET channel = ?, version = COALESCE(?, version) WHERE name = ?")) {
                st.setString(1, channel);
                st.setString(2, version);
                st.setString(3, name);
                n = st.executeUpdate();
            }
            if (n == 0) {
                try (var st = c.prepareStatement("INSERT INTO fleet_groups (name, channel, version, created) VALUES (?, ?, ?, ?)")) {
                    st.setString(1, name);
                    st.setString(2, channel);
                    st.setString(3, version);
                    st.setLong(4, ctx.clock().millis());
                    st.executeUpdate();
                }
            }
            return null;
        });
        return group(name);
    }

    public Group group(String name) {
        return db.query("SELECT name, channel, version FROM fleet_groups WHERE name = ?",
                rs -> new Group(rs.getString(1), rs.getString(2), Optional.ofNullable(rs.getString(3))), name)
                .stream().findFirst().orElseThrow(() -> HttpRefusal.notFound("no group " + name));
    }

    public List<Group> groups() {
        return db.query("SELECT name, channel, version FROM fleet_groups ORDER BY name",
                rs -> new Group(rs.getString(1), rs.getString(2), Optional.ofNullable(rs.getString(3))));
    }

    /** Registers a machine in a group with a new token of scope {@code machine:ID}. */
    public Registered addMachine(String id, String group) {
        checkName("machine", id);
        group(group);
        if (machineOpt(id).isPresent()) throw new HttpRefusal(409, "machine " + id + " is registered already");
        Tokens.Created t = ctx.tokens().create("machine " + id, List.of("machine:" + id));
        db.update("INSERT INTO fleet_machines (id, grp, token_id, created) VALUES (?, ?, ?, ?)",
                id, group, t.token().id(), ctx.clock().millis());
        return new Registered(new Machine(id, group), t.secret());
    }

    public Machine machine(String id) {
        return machineOpt(id).orElseThrow(() -> HttpRefusal.notFound("no machine " + id));
    }

    private Optional<Machine> machineOpt(String id) {
        return db.query("SELECT id, grp FROM fleet_machines WHERE id = ?", rs -> new Machine(rs.getString(1), rs.getString(2)), id)
                .stream().findFirst();
    }

    public List<Machine> machines(String group) {
        return db.query("SELECT id, grp FROM fleet_machines WHERE grp = ? ORDER BY id",
                rs -> new Machine(rs.getString(1), rs.getString(2)), group);
    }

    /** Every machine with its target release and last report, sorted by id. */
    public List<MachineState> machineStates() {
        List<Machine> all = db.query("SELECT id, grp FROM fleet_machines ORDER BY id", rs -> new Machine(rs.getString(1), rs.getString(2)));
        List<MachineState> out = new ArrayList<>();
        for (Machine m : all) out.add(new MachineState(m, target(m), lastHealth(m.id())));
        return out;
    }

    // --- configuration -------------------------------------------------------------------------------------

    /** Sets (content non-null) or removes one configuration file of a group or machine. */
    public String setConfig(String kind, String owner, String path, byte[] content, int mode) throws IOException {
        if (kind.equals("group")) group(owner);
        else if (kind.equals("machine")) machine(owner);
        else throw HttpRefusal.badRequest("configuration belongs to a group or a machine, not '" + kind + "'");
        String p = configPath(path);
        if (content != null && content.length > MAX_CONFIG_FILE) {
            throw new HttpRefusal(413, "configuration file " + p + " is larger than " + MAX_CONFIG_FILE + " bytes");
        }
        if ((mode & ~07777) != 0 || (mode & 06000) != 0) throw HttpRefusal.badRequest("mode " + Integer.toOctalString(mode) + " of " + p + " not allowed");
        String sha = content == null ? null : ctx.blobs().put(content).sha256();
        db.transaction(c -> {
            try (var st = c.prepareStatement("DELETE FROM fleet_config WHERE kind = ? AND owner = ? AND path = ?")) {
                st.setString(1, kind);
                st.setString(2, owner);
                st.setString(3, p);
                st.executeUpdate();
            }
            if (sha != null) {
                try (var st = c.prepareStatement("INSERT INTO fleet_config (kind, owner, path, sha256, mode) VALUES (?, ?, ?, ?, ?)")) {
                    st.setString(1, kind);
                    st.setString(2, owner);
                    st.setString(3, p);
                    st.setString(4, sha);
                    st.setInt(5, mode);
                    st.executeUpdate();
                }
            }
            int n;
            try (var st = c.prepareStatement("UPDATE fleet_config_generations SET generation = generation + 1 WHERE kind = ? AND owner = ?")) {
                st.setString(1, kind);
                st.setString(2, owner);
                n = st.executeUpdate();
            }
            if (n == 0) {
                try (var st = c.prepareStatement("INSERT INTO fleet_config_generations (kind, owner, generation) VALUES (?, ?, 1)")) {
                    st.setString(1, kind);
                    st.setString(2, owner);
                    st.executeUpdate();
                }
            }
            return null;
        });
        return p;
    }

    /** A configuration path: relative, normalised, no {@code ..}, no control characters; the controller applies it under /etc's overlay. */
    static String configPath(String path) {
        if (path == null || path.isEmpty() || path.length() > 400) throw HttpRefusal.badRequest("configuration path must be 1 to 400 characters");
        String p = path.startsWith("/") ? path.substring(1) : path;
        for (String seg : p.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) throw HttpRefusal.badRequest("configuration path " + path + " is not a plain relative path");
            for (int i = 0; i < seg.length(); i++) {
                char ch = seg.charAt(i);
                if (ch < 0x20 || ch == 0x7f || ch == '\\') throw HttpRefusal.badRequest("configuration path " + path.replaceAll("\\p{Cntrl}", "?") + " has a control character or backslash");
            }
        }
        return p;
    }

    /** The machine's merged files (its own win over its group's), signed with the fleet key. */
    public Bundle bundle(String machineId) throws IOException {
        Machine m = machine(machineId);
        record File(String sha256, int mode) {}
        Map<String, File> files = new TreeMap<>();
        for (String[] kind : new String[][] {{"group", m.group()}, {"machine", m.id()}}) {
            for (var e : db.query("SELECT path, sha256, mode FROM fleet_config WHERE kind = ? AND owner = ?",
                    rs -> Map.entry(rs.getString(1), new File(rs.getString(2), rs.getInt(3))), kind[0], kind[1])) {
                files.put(e.getKey(), e.getValue());
            }
        }
        String version = generation("group", m.group()) + "." + generation("machine", m.id());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(buf)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var e : files.entrySet()) {
                byte[] data = ctx.blobs().read(e.getValue().sha256());
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                te.setSize(data.length);
                te.setMode(0100000 | e.getValue().mode());
                te.setIds(0, 0);
                te.setUserName("root");
                te.setGroupName("root");
                te.setModTime(0);
                tar.putArchiveEntry(te);
                tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        byte[] tarBytes = buf.toByteArray();
        OpenPgp.SigningKey key = signingKey();
        PGPSignatureGenerator gen = OpenPgp.detachedSigner(key, new Date(0));
        gen.update(tarBytes);
        return new Bundle(tarBytes, OpenPgp.armored(gen), version);
    }

    private long generation(String kind, String owner) {
        return db.query("SELECT generation FROM fleet_config_generations WHERE kind = ? AND owner = ?",
                rs -> rs.getLong(1), kind, owner).stream().findFirst().orElse(0L);
    }

    /** Where the fleet's secret signing key lives in the data directory. */
    public static Path keyFile(Path dataDir) {
        return dataDir.resolve("fleet").resolve("signing-key.asc");
    }

    /** Installs the secret key bundles are signed with (checked by loading it first). */
    public static String importKey(Path dataDir, Path secretKey) throws IOException {
        OpenPgp.SigningKey k = OpenPgp.SigningKey.load(secretKey, null);
        Path dest = keyFile(dataDir);
        Files.createDirectories(dest.getParent());
        Path tmp = Files.createTempFile(dest.getParent(), ".key", ".tmp");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.write(tmp, Files.readAllBytes(secretKey));
        Files.move(tmp, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return k.keyId();
    }

    private OpenPgp.SigningKey signingKey() {
        Path f = keyFile(ctx.config().dataDir());
        if (!Files.isRegularFile(f)) {
            throw new HttpRefusal(409, "the fleet has no signing key: run stageforge server fleet-key --data DIR SECRET.asc");
        }
        return OpenPgp.SigningKey.load(f, null);
    }

    // --- health --------------------------------------------------------------------------------------------

    /** Stores a report and lets the group's running rollout react to it. */
    public Health report(String machineId, String version, String slot, Optional<Boolean> healthy, Optional<String> judged,
                         String rawReport) {
        Machine m = machine(machineId);
        if (version == null || version.isEmpty() || version.length() > 200) throw HttpRefusal.badRequest("report needs a version (1 to 200 characters)");
        if (slot == null || slot.isEmpty() || slot.length() > 20) throw HttpRefusal.badRequest("report needs a slot (1 to 20 characters)");
        long now = ctx.clock().millis();
        String j = judged.filter(v -> !v.isEmpty() && v.length() <= 200).orElse(version);
        db.update("INSERT INTO fleet_health (machine, received, version, slot, healthy, judged, report) VALUES (?, ?, ?, ?, ?, ?, ?)",
                m.id(), now, version, slot, healthy.map(h -> h ? 1 : 0).orElse(null), j, rawReport);
        latestRollout(m.group()).filter(Rollout::running).ifPresent(this::evaluate);
        return new Health(m.id(), now, version, slot, healthy, j, rawReport);
    }

    public Optional<Health> lastHealth(String machineId) {
        return db.query("SELECT machine, received, version, slot, healthy, judged, report FROM fleet_health WHERE machine = ? "
                        + "ORDER BY received DESC LIMIT 1", Fleet::health, machineId).stream().findFirst();
    }

    private static Health health(java.sql.ResultSet rs) throws java.sql.SQLException {
        int h = rs.getInt(5);
        Optional<Boolean> healthy = rs.wasNull() ? Optional.empty() : Optional.of(h != 0);
        return new Health(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4), healthy, rs.getString(6), rs.getString(7));
    }

    // --- rollouts and what a machine runs ------------------------------------------------------------------

    /**
     * Starts rolling {@code version} out to a group: the first step admits {@code canaryPercent} of its machines
     * (at least one), then each of {@code steps} (cumulative percentages ending at 100).
     */
    public Rollout startRollout(String group, String version, int canaryPercent, List<Integer> steps, long intervalMillis) {
        Group g = group(group);
        if (version == null || version.isEmpty() || version.length() > 200) throw HttpRefusal.badRequest("a rollout needs a version");
        List<Integer> all = new ArrayList<>();
        all.add(canaryPercent);
        all.addAll(steps.isEmpty() ? List.of(100) : steps);
        for (int i = 0; i < all.size(); i++) {
            int p = all.get(i);
            if (p < 1 || p > 100 || (i > 0 && p <= all.get(i - 1))) {
                throw HttpRefusal.badRequest("rollout steps must rise from 1 to 100 %: " + all);
            }
        }
        if (all.get(all.size() - 1) != 100) throw HttpRefusal.badRequest("the last rollout step must be 100 %: " + all);
        if (intervalMillis < 0) throw HttpRefusal.badRequest("a rollout interval cannot be negative");
        Optional<Rollout> last = latestRollout(group);
        if (last.isPresent() && last.get().running()) {
            throw new HttpRefusal(409, "rollout " + last.get().id() + " of " + last.get().version() + " is still running in group " + group);
        }
        // what the group runs: its pinned version, else the channel's newest release other than the one rolled
        // out (publishing it to the channel usually comes first)
        Optional<String> baseline = g.version().or(() -> channelHistory.apply(g.channel()).stream()
                .filter(v -> !v.equals(version)).findFirst());
        byte[] idb = new byte[6];
        random.nextBytes(idb);
        String id = "r" + HexFormat.of().formatHex(idb);
        long now = ctx.clock().millis();
        String stepText = String.join(",", all.stream().map(String::valueOf).toList());
        db.update("INSERT INTO fleet_rollouts (id, grp, version, baseline, steps, stage, state, reason, interval_ms, started, advanced) "
                + "VALUES (?, ?, ?, ?, ?, 0, 'running', NULL, ?, ?, ?)", id, group, version, baseline.orElse(null), stepText,
                intervalMillis, now, now);
        return rollout(id);
    }

    public Rollout rollout(String id) {
        return db.query("SELECT " + ROLLOUT_COLUMNS + " FROM fleet_rollouts WHERE id = ?", Fleet::rolloutRow, id)
                .stream().findFirst().orElseThrow(() -> HttpRefusal.notFound("no rollout " + id));
    }

    private static final String ROLLOUT_COLUMNS = "id, grp, version, baseline, steps, stage, state, reason, interval_ms, started, advanced";

    private static Rollout rolloutRow(java.sql.ResultSet rs) throws java.sql.SQLException {
        List<Integer> steps = Arrays.stream(rs.getString(5).split(",")).map(Integer::valueOf).toList();
        return new Rollout(rs.getString(1), rs.getString(2), rs.getString(3), Optional.ofNullable(rs.getString(4)), steps,
                rs.getInt(6), rs.getString(7), Optional.ofNullable(rs.getString(8)), rs.getLong(9), rs.getLong(10), rs.getLong(11));
    }

    private Optional<Rollout> latestRollout(String group) {
        return db.query("SELECT " + ROLLOUT_COLUMNS + " FROM fleet_rollouts WHERE grp = ? ORDER BY started DESC, id DESC LIMIT 1",
                Fleet::rolloutRow, group).stream().findFirst();
    }

    /** Every rollout, newest first (as stored: {@link #status} evaluates one). */
    public List<Rollout> rollouts() {
        return db.query("SELECT " + ROLLOUT_COLUMNS + " FROM fleet_rollouts ORDER BY started DESC, id DESC", Fleet::rolloutRow);
    }

    /** The rollout after evaluating it, with the machines admitted so far. */
    public RolloutStatus status(String id) {
        Rollout r = rollout(id);
        if (r.running()) r = evaluate(r);
        List<String> order = admissionOrder(r);
        int n = admittedCount(r, order.size());
        return new RolloutStatus(r, order.subList(0, n), order.subList(n, order.size()));
    }

    /** Stops a running rollout: every machine of the group goes back to the baseline. */
    public Rollout halt(String id, String reason) {
        Rollout r = rollout(id);
        if (!r.running()) throw new HttpRefusal(409, "rollout " + id + " is " + r.state() + ", not running");
        db.update("UPDATE fleet_rollouts SET state = 'halted', reason = ? WHERE id = ? AND state = 'running'", reason, id);
        return rollout(id);
    }

    /** The version a machine should run: empty when its group follows the channel's current release. */
    public Optional<String> target(Machine m) {
        Group g = group(m.group());
        Optional<Rollout> lr = latestRollout(g.name());
        if (lr.isPresent()) {
            Rollout r = lr.get().running() ? evaluate(lr.get()) : lr.get();
            if (r.running()) {
                List<String> order = admissionOrder(r);
                if (order.subList(0, admittedCount(r, order.size())).contains(m.id())) return Optional.of(r.version());
                return r.baseline();
            }
            if (r.state().equals("halted")) return r.baseline();
        }
        return g.version();
    }

    /** The channel a machine's group follows. */
    public String channel(Machine m) {
        return group(m.group()).channel();
    }

    /** Machines of the group in the rollout's own deterministic order: the first ones are the canaries. */
    private List<String> admissionOrder(Rollout r) {
        List<String> ids = new ArrayList<>(machines(r.group()).stream().map(Machine::id).toList());
        ids.sort(Comparator.comparing((String id) -> sha256(r.id() + "/" + id)).thenComparing(Function.identity()));
        return ids;
    }

    private static int admittedCount(Rollout r, int machines) {
        if (machines == 0) return 0;
        int pct = r.steps().get(r.stage());
        return Math.max(1, (int) Math.ceil(machines * pct / 100.0));
    }

    /**
     * Halts the rollout when an admitted machine reported unhealthy since it started; otherwise advances it a
     * step once every admitted machine reported healthy on the new version and the interval has passed, and
     * finishes it (the group then runs the version) after the last step.
     */
    private Rollout evaluate(Rollout r) {
        List<String> order = admissionOrder(r);
        List<String> admitted = order.subList(0, admittedCount(r, order.size()));
        boolean allGood = !admitted.isEmpty();
        for (String id : admitted) {
            Optional<Health> h = lastHealth(id).filter(x -> x.receivedMillis() >= r.startedMillis());
            Optional<Health> bad = db.query("SELECT machine, received, version, slot, healthy, judged, report FROM fleet_health "
                    + "WHERE machine = ? AND received >= ? AND healthy = 0 ORDER BY received LIMIT 1", Fleet::health, id, r.startedMillis())
                    .stream().findFirst();
            if (bad.isPresent()) {
                Health b = bad.get();
                String reason = "machine " + id + " reported an unhealthy cycle on version " + b.judged() + " (now on "
                        + b.version() + ", slot " + b.slot() + ")";
                db.update("UPDATE fleet_rollouts SET state = 'halted', reason = ? WHERE id = ? AND state = 'running'", reason, r.id());
                return rollout(r.id());
            }
            // healthy on the new version: the last cycle judged ran it, and the machine still boots it
            if (h.isEmpty() || !h.get().healthy().orElse(false) || !h.get().judged().equals(r.version())
                    || !h.get().version().equals(r.version())) allGood = false;
        }
        long now = ctx.clock().millis();
        if (!allGood || now - r.advancedMillis() < r.intervalMillis()) return r;
        if (r.stage() == r.steps().size() - 1) {
            db.transaction(c -> {
                int n;
                try (var st = c.prepareStatement("UPDATE fleet_rollouts SET state = 'done', advanced = ? WHERE id = ? AND state = 'running'")) {
                    st.setLong(1, now);
                    st.setString(2, r.id());
                    n = st.executeUpdate();
                }
                if (n == 1) {
                    try (var st = c.prepareStatement("UPDATE fleet_groups SET version = ? WHERE name = ?")) {
                        st.setString(1, r.version());
                        st.setString(2, r.group());
                        st.executeUpdate();
                    }
                }
                return null;
            });
        } else {
            db.update("UPDATE fleet_rollouts SET stage = ?, advanced = ? WHERE id = ? AND stage = ? AND state = 'running'",
                    r.stage() + 1, now, r.id(), r.stage());
        }
        return rollout(r.id());
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HttpRefusal.badRequest("bad " + what + " name '" + (name == null ? "" : name.replaceAll("\\p{Cntrl}", "?"))
                    + "': letters, digits, '.', '_', '-', at most 100");
        }
    }
}

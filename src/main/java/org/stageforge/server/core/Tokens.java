package org.stageforge.server.core;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.util.Hashes;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * API tokens: 32 random bytes, base64url, prefixed {@code sf_}. Only the token's SHA-256 is stored,
 * with an id, a name, scopes and the creation time; the token itself is shown once.
 */
public final class Tokens {
    /** A token's scopes; {@code admin} allows everything. */
    public static final Pattern SCOPE = Pattern.compile(
            "admin|snapshots:write|distfiles:write|fleet:admin|channel:[A-Za-z0-9][A-Za-z0-9._-]*:write"
                    + "|machine:[A-Za-z0-9][A-Za-z0-9._-]*"
                    + "|binhost:[A-Za-z0-9][A-Za-z0-9._-]*:(read|write)");
    private static final String PREFIX = "sf_";

    /** A stored token (without the secret). */
    public record Token(String id, String name, Set<String> scopes) {
        public Token {
            scopes = Set.copyOf(scopes);
        }

        public boolean allows(String scope) {
            return scopes.contains("admin") || scopes.contains(scope);
        }
    }

    /** A new token: the secret, to be shown once, and what is stored about it. */
    public record Created(String secret, Token token) {}

    private final MetadataStore db;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public Tokens(MetadataStore db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public Created create(String name, List<String> scopes) {
        if (scopes.isEmpty()) throw new StageforgeException("a token needs at least one scope", ExitCodes.USAGE, null);
        for (String s : scopes) {
            if (!SCOPE.matcher(s).matches()) {
                throw new StageforgeException("unknown scope '" + s + "' (admin, binhost:NAME:read, binhost:NAME:write, "
                        + "channel:NAME:write, snapshots:write, distfiles:write, fleet:admin, machine:ID)", ExitCodes.USAGE, null);
            }
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        byte[] idBytes = new byte[8];
        random.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        Set<String> sorted = new TreeSet<>(scopes);
        db.update("INSERT INTO tokens (id, name, hash, scopes, created) VALUES (?, ?, ?, ?, ?)",
                id, name, hash(token), String.join(" ", sorted), clock.millis() / 1000);
        return new Created(token, new Token(id, name, sorted));
    }

    /** The token a bearer secret names, if any. */
    public Optional<Token> verify(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) return Optional.empty();
        return db.query("SELECT id, name, scopes FROM tokens WHERE hash = ?",
                rs -> new Token(rs.getString(1), rs.getString(2), Set.of(rs.getString(3).split(" "))), hash(secret))
                .stream().findFirst();
    }

    static String hash(String token) {
        return HexFormat.of().formatHex(Hashes.of("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    }
}

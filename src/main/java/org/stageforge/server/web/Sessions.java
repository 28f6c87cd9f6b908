package org.stageforge.server.web;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.Cookie;
import io.undertow.server.handlers.CookieImpl;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;
import org.stageforge.util.Hashes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Dashboard logins: a token typed into the login form becomes a server-side session. The browser keeps
 * only a random session id (cookie {@code sf_session}: HttpOnly, SameSite=Strict, Secure over HTTPS); the
 * database keeps its SHA-256, the token's id and a CSRF token every POST form of the session must echo.
 * The token's scopes are read again at each request, so a session never allows more than its token.
 */
public final class Sessions {
    static final String COOKIE = "sf_session";
    /** Sessions end 8 hours after the login. */
    static final long LIFETIME_MILLIS = 8L * 3600 * 1000;
    private final ServerContext ctx;
    private final SecureRandom random = new SecureRandom();

    /** A live session: its token and the CSRF token of its forms. */
    public record Session(Tokens.Token token, String csrf) {}

    public Sessions(ServerContext ctx) {
        this.ctx = ctx;
    }

    /** Logs in with a token secret: the new session's cookie is set on the response; 401 for an unknown token. */
    public Session login(HttpServerExchange ex, String secret) {
        Tokens.Token t = ctx.tokens().verify(secret == null ? null : secret.strip())
                .orElseThrow(() -> new HttpRefusal(401, "unknown token"));
        String id = randomText();
        String csrf = randomText();
        long now = ctx.clock().millis();
        ctx.db().update("DELETE FROM web_sessions WHERE expires < ?", now);
        ctx.db().update("INSERT INTO web_sessions (hash, token_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
                hash(id), t.id(), csrf, now, now + LIFETIME_MILLIS);
        ex.setResponseCookie(cookie(ex, id).setMaxAge((int) (LIFETIME_MILLIS / 1000)));
        return new Session(t, csrf);
    }

    /** The request's session, if its cookie names a live one whose token still exists. */
    public Optional<Session> current(HttpServerExchange ex) {
        Cookie c = ex.getRequestCookie(COOKIE);
        if (c == null || c.getValue() == null || c.getValue().isEmpty()) return Optional.empty();
        return ctx.db().query("SELECT t.id, t.name, t.scopes, s.csrf FROM web_sessions s JOIN tokens t ON t.id = s.token_id "
                        + "WHERE s.hash = ? AND s.expires >= ?",
                rs -> new Session(new Tokens.Token(rs.getString(1), rs.getString(2), Set.of(rs.getString(3).split(" "))),
                        rs.getString(4)),
                hash(c.getValue()), ctx.clock().millis()).stream().findFirst();
    }

    /**
     * The session of a POST whose form carries the session's CSRF token: 401 without a session, 403 when the
     * CSRF token is missing or wrong.
     */
    public Session requireForm(HttpServerExchange ex, String csrfField) {
        Session s = current(ex).orElseThrow(() -> new HttpRefusal(401, "log in first: no dashboard session"));
        byte[] want = s.csrf().getBytes(StandardCharsets.UTF_8);
        byte[] got = csrfField == null ? new byte[0] : csrfField.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(want, got)) throw new HttpRefusal(403, "bad or missing CSRF token: reload the page and try again");
        return s;
    }

    /** Ends the request's session and clears its cookie. */
    public void logout(HttpServerExchange ex) {
        Cookie c = ex.getRequestCookie(COOKIE);
        if (c != null && c.getValue() != null) ctx.db().update("DELETE FROM web_sessions WHERE hash = ?", hash(c.getValue()));
        ex.setResponseCookie(cookie(ex, "").setMaxAge(0));
    }

    private static Cookie cookie(HttpServerExchange ex, String value) {
        return new CookieImpl(COOKIE, value).setPath("/").setHttpOnly(true).setSameSiteMode("Strict")
                .setSecure(ex.getRequestScheme().equals("https"));
    }

    private String randomText() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String hash(String s) {
        return HexFormat.of().formatHex(Hashes.of("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}

-- The web dashboard (server.web). Written in SQL that both SQLite and PostgreSQL accept.

-- Login sessions: the browser holds a random session id in an HttpOnly cookie, the server only its SHA-256,
-- the token it logged in with (scopes are read from the token at every request) and the CSRF token its
-- forms carry.
CREATE TABLE web_sessions (
    hash     VARCHAR(64)  NOT NULL PRIMARY KEY,
    token_id VARCHAR(32)  NOT NULL,
    csrf     VARCHAR(64)  NOT NULL,
    created  BIGINT       NOT NULL,
    expires  BIGINT       NOT NULL
);

-- A package's signature state as checked against a binhost keyring ('' = none), computed once per blob:
-- blobs are immutable, so the answer never changes.
CREATE TABLE web_signatures (
    sha256  VARCHAR(64)  NOT NULL,
    keyring VARCHAR(64)  NOT NULL,
    state   VARCHAR(20)  NOT NULL,
    detail  TEXT         NOT NULL,
    PRIMARY KEY (sha256, keyring)
);

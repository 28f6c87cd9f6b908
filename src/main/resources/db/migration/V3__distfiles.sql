-- The distfiles mirror (server.distfiles). Written in SQL that both SQLite and PostgreSQL accept.
-- A distfile has no index to keep consistent with other files: each name is published on its own, by one
-- INSERT (a name holds one content for good) and withdrawn by one DELETE. The bytes are the blob sha256.
CREATE TABLE distfiles (
    name     VARCHAR(1000) NOT NULL PRIMARY KEY,
    sha256   VARCHAR(64)   NOT NULL,
    size     BIGINT        NOT NULL,
    uploaded BIGINT        NOT NULL
);

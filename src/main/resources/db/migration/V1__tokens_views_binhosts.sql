-- Written in SQL that both SQLite and PostgreSQL accept.

-- API tokens: only the SHA-256 of a token is kept.
CREATE TABLE tokens (
    id      VARCHAR(32)  NOT NULL PRIMARY KEY,
    name    VARCHAR(200) NOT NULL,
    hash    VARCHAR(64)  NOT NULL UNIQUE,
    scopes  TEXT         NOT NULL,
    created BIGINT       NOT NULL
);

-- A served view (a binhost's file set, later a channel's release): the sha256 of its immutable manifest
-- blob and a generation that every publish compares and increments.
CREATE TABLE views (
    name       VARCHAR(300) NOT NULL PRIMARY KEY,
    manifest   VARCHAR(64)  NOT NULL,
    generation BIGINT       NOT NULL,
    published  BIGINT       NOT NULL
);

CREATE TABLE binhosts (
    name               VARCHAR(100) NOT NULL PRIMARY KEY,
    require_signatures INTEGER      NOT NULL,
    keyring            VARCHAR(64),
    private_reads      INTEGER      NOT NULL,
    keep_builds        INTEGER      NOT NULL,
    created            BIGINT       NOT NULL
);

-- Blobs that must outlive retention whatever the view that named them (a published release's lock):
-- retention asks this table before dropping a package.
CREATE TABLE retained_blobs (
    sha256 VARCHAR(64)  NOT NULL,
    holder VARCHAR(300) NOT NULL,
    PRIMARY KEY (sha256, holder)
);

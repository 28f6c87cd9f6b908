-- Written in SQL that both SQLite and PostgreSQL accept.

-- A release channel: its trusted OpenPGP keyring (a blob) verifies every release's SHA256SUMS.gpg.
CREATE TABLE channels (
    name    VARCHAR(100) NOT NULL PRIMARY KEY,
    keyring VARCHAR(64)  NOT NULL,
    created BIGINT       NOT NULL
);

-- A release stored in a channel (published or promoted there): its immutable view manifest. Which release
-- a channel serves is not kept here: it is the one whose manifest the channel's view points at, so the
-- switch stays one compare-and-set on the views table.
CREATE TABLE releases (
    channel   VARCHAR(100) NOT NULL,
    version   VARCHAR(100) NOT NULL,
    manifest  VARCHAR(64)  NOT NULL,
    published BIGINT       NOT NULL,
    origin    VARCHAR(200) NOT NULL,
    PRIMARY KEY (channel, version)
);

-- Written in SQL that both SQLite and PostgreSQL accept.

-- Snapshot settings, one row (id = 1): the blob of the OpenPGP public keys every published snapshot's
-- .gpgsig must verify against. Without it no snapshot is published.
CREATE TABLE snapshot_settings (
    id      INTEGER     NOT NULL PRIMARY KEY,
    keyring VARCHAR(64) NOT NULL,
    updated BIGINT      NOT NULL
);

-- Repositories that have snapshots; each one's files are the view snapshots/NAME.
CREATE TABLE snapshot_repos (
    name    VARCHAR(100) NOT NULL PRIMARY KEY,
    created BIGINT       NOT NULL
);

-- Fleet of machines updated by the controller (issue 12). SQL that SQLite and PostgreSQL both accept.

-- A group follows a channel; `version` is the release the whole group runs (null: the channel's current one).
CREATE TABLE fleet_groups (
    name    VARCHAR(100) NOT NULL PRIMARY KEY,
    channel VARCHAR(100) NOT NULL,
    version VARCHAR(200),
    created BIGINT       NOT NULL
);

-- A machine authenticates with its own token (scope machine:ID).
CREATE TABLE fleet_machines (
    id       VARCHAR(100) NOT NULL PRIMARY KEY,
    grp      VARCHAR(100) NOT NULL,
    token_id VARCHAR(32)  NOT NULL,
    created  BIGINT       NOT NULL
);

-- Configuration files of a group or a machine (kind 'group' or 'machine'); contents are blobs.
CREATE TABLE fleet_config (
    kind   VARCHAR(10)  NOT NULL,
    owner  VARCHAR(100) NOT NULL,
    path   VARCHAR(500) NOT NULL,
    sha256 VARCHAR(64)  NOT NULL,
    mode   INTEGER      NOT NULL,
    PRIMARY KEY (kind, owner, path)
);

-- Bumped by every change of a group's or machine's files: a bundle's version is the pair.
CREATE TABLE fleet_config_generations (
    kind       VARCHAR(10)  NOT NULL,
    owner      VARCHAR(100) NOT NULL,
    generation BIGINT       NOT NULL,
    PRIMARY KEY (kind, owner)
);

-- A staged rollout of `version` to a group: `steps` are the cumulative percentages (canary first), `stage`
-- the index reached; state running, halted or done.
CREATE TABLE fleet_rollouts (
    id          VARCHAR(32)  NOT NULL PRIMARY KEY,
    grp         VARCHAR(100) NOT NULL,
    version     VARCHAR(200) NOT NULL,
    baseline    VARCHAR(200),
    steps       VARCHAR(200) NOT NULL,
    stage       INTEGER      NOT NULL,
    state       VARCHAR(10)  NOT NULL,
    reason      TEXT,
    interval_ms BIGINT       NOT NULL,
    started     BIGINT       NOT NULL,
    advanced    BIGINT       NOT NULL
);

-- version: what the machine boots now; healthy: 1 or 0 as the report judged the last cycle, NULL when it had
-- none to judge (a first boot); judged: the version that last cycle ran.
CREATE TABLE fleet_health (
    machine  VARCHAR(100) NOT NULL,
    received BIGINT       NOT NULL,
    version  VARCHAR(200) NOT NULL,
    slot     VARCHAR(20)  NOT NULL,
    healthy  INTEGER,
    judged   VARCHAR(200),
    report   TEXT         NOT NULL
);
CREATE INDEX fleet_health_machine ON fleet_health (machine, received);

-- tokenkeeper JDBC store, schema version 1, MariaDB 10.5+ and MySQL 8 (INSERT ... ON DUPLICATE KEY UPDATE).
-- The schema placeholder is empty or a database name and a dot, the prefix placeholder is the table
-- prefix; JdbiSchema fills both in and records the version in the schema_version table after this
-- script ran. Never edit a released script: add V2__... instead. InnoDB: row locks for the upserts.

CREATE TABLE ${schema}${prefix}schema_version (
    version     INTEGER      NOT NULL PRIMARY KEY,
    description VARCHAR(200) NOT NULL,
    applied_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB;

-- one row per store key; expiry kept as epoch second + nano so that an Instant round-trips exactly;
-- store keys are base64url, compared byte for byte (ascii_bin), never case-folded
CREATE TABLE ${schema}${prefix}tokens (
    store_key            VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    sealed               MEDIUMBLOB   NOT NULL,
    expires_epoch_second BIGINT       NOT NULL,
    expires_nano         INTEGER      NOT NULL,
    version              BIGINT       NOT NULL
) ENGINE=InnoDB;

CREATE INDEX ${prefix}tokens_expires_idx ON ${schema}${prefix}tokens (expires_epoch_second);

-- one row per leased key; lease_until in epoch milliseconds, the lease is free from that instant on
CREATE TABLE ${schema}${prefix}leases (
    store_key   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    owner       VARCHAR(64)  NOT NULL,
    lease_until BIGINT       NOT NULL
) ENGINE=InnoDB;

CREATE INDEX ${prefix}leases_until_idx ON ${schema}${prefix}leases (lease_until);

-- Version 2 → 3: tariffs (docs/tariffs.md). The booth's flat per-minute rate becomes the
-- `standard` tariff's version 1, written when the booth next opens the database with its config
-- (the rate lives in the configured resource row, which this file cannot name); sessions
-- without a tariff version are priced by exactly that rule.

CREATE TABLE tariff (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    currency     TEXT    NOT NULL,
    description  TEXT,
    created_at   TEXT    NOT NULL
);

CREATE TABLE tariff_version (
    id              INTEGER PRIMARY KEY,
    tariff_id       INTEGER NOT NULL REFERENCES tariff (id),
    version         INTEGER NOT NULL CHECK (version >= 1),
    effective_from  TEXT    NOT NULL,
    rules           TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    UNIQUE (tariff_id, version)
);

CREATE TABLE tariff_assignment (
    kind       TEXT    NOT NULL CHECK (kind IN ('default', 'walkin', 'account_type', 'price_group')),
    key        INTEGER NOT NULL DEFAULT 0,
    tariff_id  INTEGER NOT NULL REFERENCES tariff (id),
    PRIMARY KEY (kind, key)
);

CREATE TABLE validation_code (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    shop          TEXT    NOT NULL,
    free_minutes  INTEGER CHECK (free_minutes > 0),
    percent_off   TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    CHECK ((free_minutes IS NULL) <> (percent_off IS NULL))
);

ALTER TABLE parking_session ADD COLUMN tariff_version_id INTEGER REFERENCES tariff_version (id);
ALTER TABLE parking_session ADD COLUMN validation_id INTEGER REFERENCES validation_code (id);

-- A stay may have a second receipt (the extra time of a car that paid and came back late), so
-- a receipt's session is no longer unique.
CREATE TABLE receipt_v3 (
    receipt_no      INTEGER PRIMARY KEY,
    guid            TEXT    NOT NULL UNIQUE,
    session_id      INTEGER NOT NULL REFERENCES parking_session (id),
    issued_at       TEXT    NOT NULL,
    total           TEXT    NOT NULL,
    currency        TEXT    NOT NULL,
    payment_method  TEXT    NOT NULL CHECK (payment_method IN ('account', 'cash', 'card')),
    document        TEXT    NOT NULL
);
INSERT INTO receipt_v3 SELECT receipt_no, guid, session_id, issued_at, total, currency,
    payment_method, document FROM receipt;
DROP TABLE receipt;
ALTER TABLE receipt_v3 RENAME TO receipt;
CREATE INDEX receipt_issued ON receipt (issued_at);
CREATE INDEX receipt_session ON receipt (session_id);

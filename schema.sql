-- clearpark schema, version 3 (PRAGMA user_version = 3).
--
-- The single source of the booth's database. `clearpark` applies it to a new file on open, inside
-- one transaction, and then sets `PRAGMA user_version`; a later version adds a file under
-- `migrations/` that brings an older database to it.
--
-- Table and column names of the accounting tables mirror the systems the booth syncs with
-- (quoted PascalCase, as in reference/clearparking-readme.txt). Tables of our own use snake_case.
--
-- Conventions:
--   * every timestamp is UTC text `YYYY-MM-DD HH:MM:SS` (fractional seconds allowed on import);
--     local time exists only on screen and on paper;
--   * every money value is exact decimal text (`"0.0500"`), never REAL;
--   * `GCRecord` not NULL marks a soft-deleted accounting row (the accounting systems' convention).

-- The priced resource: parking, priced per minute. The booth prices with the row whose `ResGuid`
-- the config names (`booth.res_guid`).
CREATE TABLE tbl_dk_resource (
    "ResId"          INTEGER PRIMARY KEY,
    "ResGuid"        TEXT    NOT NULL UNIQUE,
    "ResName"        TEXT    NOT NULL,
    "ResDesc"        TEXT,
    "ResPrice"       TEXT    NOT NULL,             -- decimal text, price per minute
    "ResCurrency"    TEXT    NOT NULL,             -- ISO 4217 code, e.g. TMT
    "CreatedDate"    TEXT    NOT NULL,
    "ModifiedDate"   TEXT    NOT NULL,
    "SyncDateTime"   TEXT,
    "GCRecord"       INTEGER
);

-- Customer accounts: every field of the reference's find-device example, plus RpAccTransTotal
-- (accumulated parking charges, decimal text). Scans are refused unless RpAccStatusId = 1 and
-- GCRecord IS NULL.
CREATE TABLE tbl_dk_rp_acc (
    "RpAccId"                  INTEGER PRIMARY KEY,
    "RpAccGuid"                TEXT    NOT NULL UNIQUE,
    "RpAccName"                TEXT    NOT NULL,
    "RpAccUName"               TEXT,
    "RpAccRegNo"               TEXT,
    "RpAccStatusId"            INTEGER NOT NULL DEFAULT 1,   -- 1 active; anything else blocked
    "RpAccTypeId"              INTEGER,
    "RpAccFirstName"           TEXT,
    "RpAccLastName"            TEXT,
    "RpAccPatronomic"          TEXT,
    "RpAccBirthDate"           TEXT,
    "RpAccResidency"           TEXT,
    "RpAccPassportNo"          TEXT,
    "RpAccPassportIssuePlace"  TEXT,
    "RpAccLangSkills"          TEXT,
    "RpAccAddress"             TEXT,
    "RpAccZipCode"             TEXT,
    "RpAccEMail"               TEXT,
    "RpAccMobilePhoneNumber"   TEXT,
    "RpAccHomePhoneNumber"     TEXT,
    "RpAccWorkPhoneNumber"     TEXT,
    "RpAccWorkFaxNumber"       TEXT,
    "RpAccWebAddress"          TEXT,
    "RpAccLatitude"            REAL,                         -- a map position, not money
    "RpAccLongitude"           REAL,
    "RpAccPurchBalanceLimit"   TEXT,                         -- decimal text
    "RpAccSaleBalanceLimit"    TEXT,                         -- decimal text
    "RpAccTransTotal"          TEXT    NOT NULL DEFAULT '0', -- decimal text, sum of parking charges
    "RpAccLastActivityDate"    TEXT,
    "RpAccLastActivityDevice"  TEXT,
    "RpAccViewCnt"             INTEGER,
    "RpAccVisibleIndex"        INTEGER,
    "ResPriceGroupId"          INTEGER,
    "CId"                      INTEGER,
    "DivId"                    INTEGER,
    "EmpId"                    INTEGER,
    "GenderId"                 INTEGER,
    "NatId"                    INTEGER,
    "ReprId"                   INTEGER,
    "WpId"                     INTEGER,
    "IsMain"                   INTEGER,
    "DeviceQty"                INTEGER,
    "UnusedDeviceQty"          INTEGER,
    "DbGuid"                   TEXT,
    "AddInf1"                  TEXT,
    "AddInf2"                  TEXT,
    "AddInf3"                  TEXT,
    "AddInf4"                  TEXT,
    "AddInf5"                  TEXT,
    "AddInf6"                  TEXT,
    "CreatedDate"              TEXT    NOT NULL,
    "ModifiedDate"             TEXT    NOT NULL,
    "CreatedUId"               INTEGER,
    "ModifiedUId"              INTEGER,
    "SyncDateTime"             TEXT,
    "GCRecord"                 INTEGER
);
CREATE INDEX rp_acc_reg_no ON tbl_dk_rp_acc ("RpAccRegNo");
CREATE INDEX rp_acc_uname ON tbl_dk_rp_acc ("RpAccUName");

-- QR codes and phones registered to an account: every field of the reference's `Device` object.
-- A scan matches DevUniqueId or DevGuid of a device that is not soft-deleted.
CREATE TABLE tbl_dk_device (
    "DevId"            INTEGER PRIMARY KEY,
    "DevGuid"          TEXT    NOT NULL UNIQUE,
    "DevName"          TEXT,
    "DevDesc"          TEXT,
    "DevUniqueId"      TEXT    NOT NULL,
    "DevVerifyKey"     TEXT,
    "DevVerifyDate"    TEXT,
    "IsAllowed"        INTEGER NOT NULL DEFAULT 1,            -- 0/1, a JSON boolean in the API
    "AllowedDate"      TEXT,
    "DisallowedDate"   TEXT,
    "RpAccId"          INTEGER NOT NULL REFERENCES tbl_dk_rp_acc ("RpAccId"),
    "UId"              INTEGER,
    "AddInf1"          TEXT,
    "AddInf2"          TEXT,
    "AddInf3"          TEXT,
    "AddInf4"          TEXT,
    "AddInf5"          TEXT,
    "AddInf6"          TEXT,
    "CreatedDate"      TEXT    NOT NULL,
    "ModifiedDate"     TEXT    NOT NULL,
    "CreatedUId"       INTEGER,
    "ModifiedUId"      INTEGER,
    "SyncDateTime"     TEXT,
    "GCRecord"         INTEGER
);
-- A code must name one live device, so the unique index skips soft-deleted rows.
CREATE UNIQUE INDEX device_unique_id_live ON tbl_dk_device ("DevUniqueId") WHERE "GCRecord" IS NULL;
CREATE INDEX device_account ON tbl_dk_device ("RpAccId");

-- One row per entrance (AttTypeId 1) or exit (AttTypeId 2), exactly the reference's columns.
-- Written when db_structure = "saphasap".
CREATE TABLE tbl_dk_attendance (
    "AttId"          INTEGER PRIMARY KEY,
    "AttGuid"        TEXT    NOT NULL UNIQUE,
    "EmpId"          INTEGER,
    "RpAccId"        INTEGER REFERENCES tbl_dk_rp_acc ("RpAccId"),
    "DevId"          INTEGER REFERENCES tbl_dk_device ("DevId"),
    "UId"            INTEGER,
    "AttTypeId"      INTEGER NOT NULL CHECK ("AttTypeId" IN (1, 2)),
    "AttDesc"        TEXT,
    "AttDate"        TEXT    NOT NULL,
    "CreatedDate"    TEXT    NOT NULL,
    "ModifiedDate"   TEXT    NOT NULL
);
CREATE INDEX attendance_account ON tbl_dk_attendance ("RpAccId", "AttDate");

-- The same rows for the AkHasap accounting system, written instead of tbl_dk_attendance when
-- db_structure = "akhsasap". The reference gives one column list for attendance, so both tables
-- carry it; the accounting side's triggers on this table must be disabled (reference README).
CREATE TABLE tbl_mg_arap_attandence (
    "AttId"          INTEGER PRIMARY KEY,
    "AttGuid"        TEXT    NOT NULL UNIQUE,
    "EmpId"          INTEGER,
    "RpAccId"        INTEGER REFERENCES tbl_dk_rp_acc ("RpAccId"),
    "DevId"          INTEGER REFERENCES tbl_dk_device ("DevId"),
    "UId"            INTEGER,
    "AttTypeId"      INTEGER NOT NULL CHECK ("AttTypeId" IN (1, 2)),
    "AttDesc"        TEXT,
    "AttDate"        TEXT    NOT NULL,
    "CreatedDate"    TEXT    NOT NULL,
    "ModifiedDate"   TEXT    NOT NULL
);
CREATE INDEX arap_attendance_account ON tbl_mg_arap_attandence ("RpAccId", "AttDate");

-- Tariffs (docs/tariffs.md): the price board. A tariff has a name and a currency; its rules
-- (JSON, docs/tariffs.md) are versioned: a change is a new version in force from
-- `effective_from`, and a session keeps the version it entered under.
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

-- Which tariff prices whom: by RpAccTypeId or ResPriceGroupId (`key`), walk-in tickets, and the
-- default (`key` 0 for those two).
CREATE TABLE tariff_assignment (
    kind       TEXT    NOT NULL CHECK (kind IN ('default', 'walkin', 'account_type', 'price_group')),
    key        INTEGER NOT NULL DEFAULT 0,
    tariff_id  INTEGER NOT NULL REFERENCES tariff (id),
    PRIMARY KEY (kind, key)
);

-- Shops' validation codes: scanned at an exit before the ticket, or typed by the attendant,
-- each takes free minutes or a percentage off one stay.
CREATE TABLE validation_code (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    shop          TEXT    NOT NULL,
    free_minutes  INTEGER CHECK (free_minutes > 0),
    percent_off   TEXT,                      -- decimal text, 0 to 100
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    CHECK ((free_minutes IS NULL) <> (percent_off IS NULL))
);

-- Walk-in tickets the attendant issues at an entrance. `code` is what the ticket's QR holds and
-- what the exit scanner reads; `ticket_no` is the number printed on it (gap-free, from 1).
CREATE TABLE walkin_ticket (
    id           INTEGER PRIMARY KEY,
    ticket_no    INTEGER NOT NULL UNIQUE,
    code         TEXT    NOT NULL UNIQUE,
    lane_id      TEXT    NOT NULL,
    issued_at    TEXT    NOT NULL,
    issued_by    TEXT    NOT NULL
);

-- An entrance paired with its exit, for an account (RpAccId) or a walk-in ticket (ticket_id).
-- entering: scanned in, gate open, car not yet through; active: inside; exiting: scanned out (and
-- paid), gate open; closed: gone. A gate cycle with nobody through spends one remaining try.
CREATE TABLE parking_session (
    id                        INTEGER PRIMARY KEY,
    guid                      TEXT    NOT NULL UNIQUE,
    "RpAccId"                 INTEGER REFERENCES tbl_dk_rp_acc ("RpAccId"),
    "DevId"                   INTEGER REFERENCES tbl_dk_device ("DevId"),
    ticket_id                 INTEGER REFERENCES walkin_ticket (id),
    state                     TEXT    NOT NULL CHECK (state IN ('entering', 'active', 'exiting', 'closed')),
    entry_lane                TEXT    NOT NULL,
    exit_lane                 TEXT,
    "AttStartDate"            TEXT    NOT NULL,
    "AttEndDate"              TEXT,
    entry_att_guid            TEXT,
    exit_att_guid             TEXT,
    minutes                   INTEGER,
    "ResPrice"                TEXT    NOT NULL,   -- decimal text, per minute, fixed at entrance
    "TotalPrice"              TEXT,               -- decimal text, 2 decimals, set at exit
    currency                  TEXT    NOT NULL,
    entrance_remaining_tries  INTEGER NOT NULL CHECK (entrance_remaining_tries >= 0),
    exit_remaining_tries      INTEGER NOT NULL CHECK (exit_remaining_tries >= 0),
    payment_method            TEXT    CHECK (payment_method IN ('account', 'cash', 'card')),
    lost_ticket               INTEGER NOT NULL DEFAULT 0,
    receipt_no                INTEGER UNIQUE,
    created_at                TEXT    NOT NULL,
    updated_at                TEXT    NOT NULL,
    tariff_version_id         INTEGER REFERENCES tariff_version (id),   -- the tariff that prices it, fixed at entrance
    validation_id             INTEGER REFERENCES validation_code (id),  -- a shop's validation, at most one
    CHECK (("RpAccId" IS NULL) <> (ticket_id IS NULL))
);
-- Anti-passback, enforced by the database too: one open session per account and per ticket.
CREATE UNIQUE INDEX session_open_account ON parking_session ("RpAccId") WHERE state <> 'closed' AND "RpAccId" IS NOT NULL;
CREATE UNIQUE INDEX session_ticket ON parking_session (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX session_state ON parking_session (state, "AttStartDate");

-- Receipts, numbered without gaps: the number is taken in the same transaction that closes the
-- session, so a rollback takes both back. `document` is the receipt as printed (JSON), for reprints.
-- A stay has one receipt, or two when a car that paid came back after its exit grace and paid
-- the extra time.
CREATE TABLE receipt (
    receipt_no      INTEGER PRIMARY KEY,
    guid            TEXT    NOT NULL UNIQUE,
    session_id      INTEGER NOT NULL REFERENCES parking_session (id),
    issued_at       TEXT    NOT NULL,
    total           TEXT    NOT NULL,   -- decimal text, 2 decimals
    currency        TEXT    NOT NULL,
    payment_method  TEXT    NOT NULL CHECK (payment_method IN ('account', 'cash', 'card')),
    document        TEXT    NOT NULL
);
CREATE INDEX receipt_issued ON receipt (issued_at);
CREATE INDEX receipt_session ON receipt (session_id);

-- Every attendant override and every attendant action that moves a barrier or money.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    lane_id   TEXT,
    reason    TEXT    NOT NULL,
    detail    TEXT
);
CREATE INDEX audit_at ON audit_log (at);

-- HTTP API ---------------------------------------------------------------------------------------

-- Remote IO devices that report their address through `GET /set-ip/?device_key=...`: the IP is
-- what reaches the device (the port it listens on is its own setting; the request's source port
-- is an ephemeral one). The key itself stays in the config; only its SHA-256 (hex) is kept, to
-- notice a rotated key.
CREATE TABLE remote_io_device (
    name              TEXT    PRIMARY KEY,
    key_sha256        TEXT    NOT NULL,
    last_address      TEXT    NOT NULL,     -- the IP the last report came from, without a port
    last_seen         TEXT    NOT NULL,
    first_seen        TEXT    NOT NULL,
    reports           INTEGER NOT NULL DEFAULT 1
);

-- Drivers' access tokens for `GET /api/car_driver/parking_sessions/current`, made by
-- `clearpark accounts token <account>`. Only the SHA-256 (hex) of a token is kept: the token is
-- shown once, when it is made.
CREATE TABLE api_driver_token (
    id            INTEGER PRIMARY KEY,
    "RpAccId"     INTEGER NOT NULL REFERENCES tbl_dk_rp_acc ("RpAccId"),
    token_sha256  TEXT    NOT NULL UNIQUE,
    created_at    TEXT    NOT NULL
);
CREATE INDEX driver_token_account ON api_driver_token ("RpAccId");

-- Nwave parking sensors ---------------------------------------------------------------------------
-- Sessions reported by Nwave bay sensors through RabbitMQ ("Parking Session Logging API 2.0",
-- docs/contracts.md §7). Written only by the booth, one transaction per batch of deliveries, acknowledged
-- to the broker after the commit. Times are UTC text; `*_delta_sec` is the ± error of an edge.

-- A session as its highest correction_counter describes it. `edges` is that version whole (JSON:
-- trace ids, involved devices, authorisations); the columns beside it are for lists and screens.
-- `revision` grows with every change of any session, for clients that sync changes.
CREATE TABLE nwave_session (
    id                      INTEGER PRIMARY KEY,
    uuid                    TEXT    NOT NULL UNIQUE,      -- parking_session_uuid
    correction_counter      INTEGER NOT NULL CHECK (correction_counter >= 0),
    state                   TEXT    NOT NULL CHECK (state IN ('open', 'partially_ended', 'ended')),
    start_time              TEXT    NOT NULL,
    start_delta_sec         INTEGER NOT NULL CHECK (start_delta_sec >= 0),
    partial_end_time        TEXT,
    partial_end_delta_sec   INTEGER,
    partial_end_network_id  TEXT,
    end_time                TEXT,
    end_delta_sec           INTEGER,
    auth_ble_tag_id         TEXT,
    auth_ble_tag_time       TEXT,
    auth_mobile_session_id  TEXT,
    auth_mobile_time        TEXT,
    edges                   TEXT    NOT NULL,
    first_seen_at           TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL,
    revision                INTEGER NOT NULL UNIQUE
);
CREATE INDEX nwave_session_state ON nwave_session (state, id);
CREATE INDEX nwave_session_end ON nwave_session (end_time);

-- The correction history: each version a higher counter replaced (and what late messages of an
-- old counter said), by counter. The current version is in nwave_session.
CREATE TABLE nwave_session_version (
    session_id          INTEGER NOT NULL REFERENCES nwave_session (id),
    correction_counter  INTEGER NOT NULL CHECK (correction_counter >= 0),
    edges               TEXT    NOT NULL,   -- JSON, as nwave_session.edges
    recorded_at         TEXT    NOT NULL,
    PRIMARY KEY (session_id, correction_counter)
) WITHOUT ROWID;

-- Each session's claim on each position of its current version: `holds` while the session has
-- no end and its partial end did not release this position. `device` is the involved_devices
-- entry (JSON). A position belongs to its claim with the latest start_time (then session_uuid).
CREATE TABLE nwave_claim (
    session_id       INTEGER NOT NULL REFERENCES nwave_session (id),
    network_id       TEXT    NOT NULL,
    session_uuid     TEXT    NOT NULL,
    start_time       TEXT    NOT NULL,
    start_delta_sec  INTEGER NOT NULL,
    start_trace_ids  TEXT    NOT NULL,   -- JSON array
    holds            INTEGER NOT NULL CHECK (holds IN (0, 1)),
    device           TEXT    NOT NULL,
    PRIMARY KEY (session_id, network_id)
) WITHOUT ROWID;
CREATE INDEX nwave_claim_latest ON nwave_claim (network_id, start_time DESC, session_uuid DESC);

-- Every position a session claims, as its latest session describes it, and whether that session
-- holds it (taken). Kept by the booth from nwave_claim; the occupancy lists read it.
CREATE TABLE nwave_position (
    network_id       TEXT    PRIMARY KEY,
    custom_id        TEXT,
    latitude         REAL,                 -- a map position, not money
    longitude        REAL,
    group_id         INTEGER,
    group_type       TEXT,                 -- general | unmarked_parking_bay | marked_parking_bay
    group_name       TEXT,
    group_custom_id  TEXT,
    zone_id          INTEGER,
    level_id         INTEGER,
    level_name       TEXT,
    floor_number     INTEGER,
    group_inner_id   INTEGER,
    labels           TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
    device_id        TEXT,
    hardware_type    TEXT,
    session_id       INTEGER NOT NULL REFERENCES nwave_session (id),
    taken            INTEGER NOT NULL CHECK (taken IN (0, 1)),
    since            TEXT    NOT NULL,     -- the session's start
    since_delta_sec  INTEGER NOT NULL,
    since_trace_ids  TEXT    NOT NULL,     -- JSON array
    device           TEXT    NOT NULL,     -- the involved_devices entry (JSON)
    updated_at       TEXT    NOT NULL
);
-- No index beside its key: a position is rewritten by nearly every Nwave message and each index
-- would be one more page written per message (the lists read every position; pruning asks
-- which sessions hold one once per run). Version 1 had two, dropped by migrations/2.sql.

-- Deliveries that are not valid messages, stored whole (the exact bytes) with the reason, then
-- acknowledged: never lost, never redelivered in a loop. The same bytes again are one row.
CREATE TABLE nwave_quarantine (
    id           INTEGER PRIMARY KEY,
    received_at  TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    payload      BLOB    NOT NULL UNIQUE,
    exchange     TEXT,
    routing_key  TEXT
);
CREATE INDEX nwave_quarantine_received ON nwave_quarantine (received_at);

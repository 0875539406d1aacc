-- The built-in error tracker: one group per fingerprint (counted, with its
-- first and last sighting and the admin's status), and a few sample events
-- per group, already scrubbed of personal data. Times are Unix milliseconds.
CREATE TABLE error_groups (
    id              INTEGER PRIMARY KEY,
    fingerprint     TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('server', 'panic', 'browser')),
    title           TEXT NOT NULL,
    culprit         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'ignored')),
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    seen_count      INTEGER NOT NULL CHECK (seen_count > 0),
    release_version TEXT NOT NULL
);
CREATE INDEX error_groups_last_seen ON error_groups (last_seen, id);
CREATE TABLE error_events (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES error_groups(id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    route           TEXT NOT NULL,
    method          TEXT NOT NULL,
    status          INTEGER NOT NULL,
    trace_id        TEXT NOT NULL,
    request_id      TEXT NOT NULL,
    release_version TEXT NOT NULL,
    message         TEXT NOT NULL,
    stack           TEXT NOT NULL,
    request         TEXT NOT NULL -- JSON object of harmless request details
);
CREATE INDEX error_events_group ON error_events (group_id, id);
-- Real-user monitoring: Web Vitals as histograms, one row per UTC day,
-- metric, page template and bucket (the bucket's upper bound index), so a
-- fleet adds its counts up and the admin reads percentiles.
CREATE TABLE web_vitals (
    day      INTEGER NOT NULL, -- days since the Unix epoch
    metric   TEXT NOT NULL,
    template TEXT NOT NULL,
    bucket   INTEGER NOT NULL,
    n        INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (day, metric, template, bucket)
);

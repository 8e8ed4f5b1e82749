-- 0001_init: the first xborder store schema.
--
-- A run owns everything it saved: every child table references runs(id) with
-- ON DELETE CASCADE, so deleting a run deletes its rows (and Verify notices the
-- gap in the hash chain). Lists and free-form values are JSON text; times are
-- RFC 3339 UTC text with nanoseconds; days are YYYY-MM-DD (Korea Standard Time).

-- runs: one row per saved run, ordered by seq (AUTOINCREMENT: never reused, so a
-- deleted run leaves a gap). hash chains the runs: prev_hash = the previous
-- run's hash. data_hash covers what the run hash does not (manifests,
-- observations, unmatched traffic, data quality, input kinds and sizes,
-- skipped files, resolved fingerprints). manifests is the declared state the
-- run judged (audit.Manifests as JSON, without field locations), for the
-- transfer inventory of reports rendered later.
CREATE TABLE runs (
	seq                     INTEGER PRIMARY KEY AUTOINCREMENT,
	id                      TEXT    NOT NULL UNIQUE CHECK (id <> ''),
	mode                    TEXT    NOT NULL,
	as_of                   TEXT    NOT NULL,
	started                 TEXT    NOT NULL,
	finished                TEXT    NOT NULL,
	tool_name               TEXT    NOT NULL,
	tool_version            TEXT    NOT NULL,
	policy_digest           TEXT    NOT NULL,
	records                 INTEGER NOT NULL,
	not_evaluated           TEXT    NOT NULL CHECK (json_valid(not_evaluated)),
	quality_lines           INTEGER NOT NULL,
	quality_bad             INTEGER NOT NULL,
	quality_unmatched_lines INTEGER NOT NULL,
	finding_ids             TEXT    NOT NULL CHECK (json_valid(finding_ids)),
	manifests               TEXT    CHECK (manifests IS NULL OR json_valid(manifests)),
	hash                    TEXT    NOT NULL,
	prev_hash               TEXT    NOT NULL,
	data_hash               TEXT    NOT NULL
) STRICT;

-- Lifecycle compares a run with the previous run of the same mode.
CREATE INDEX runs_mode_seq ON runs (mode, seq);

-- findings: one row per finding of a run; fingerprint is audit.Finding.ID.
-- status and first_seen are the lifecycle the store computed at save time;
-- hash covers the whole row so that Verify can name an edited finding.
CREATE TABLE findings (
	run_id         TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	fingerprint    TEXT    NOT NULL CHECK (fingerprint <> ''),
	rule           TEXT    NOT NULL CHECK (rule <> ''),
	severity       TEXT    NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
	title          TEXT    NOT NULL,
	title_ko       TEXT    NOT NULL,
	articles       TEXT    NOT NULL CHECK (json_valid(articles)),
	flow           TEXT    NOT NULL,
	message        TEXT    NOT NULL,
	evidence       TEXT    NOT NULL CHECK (json_valid(evidence)),
	file           TEXT    NOT NULL,
	line           INTEGER NOT NULL,
	col            INTEGER NOT NULL,
	field          TEXT    NOT NULL,
	remediation    TEXT    NOT NULL,
	remediation_ko TEXT    NOT NULL,
	finding_key    TEXT    NOT NULL,
	waived         TEXT    CHECK (waived IS NULL OR json_valid(waived)),
	baselined      INTEGER NOT NULL CHECK (baselined IN (0, 1)),
	status         TEXT    NOT NULL CHECK (status IN ('new', 'recurring')),
	first_seen     TEXT    NOT NULL,
	hash           TEXT    NOT NULL,
	UNIQUE (run_id, fingerprint)
) STRICT;

-- resolved: fingerprints of the previous run (same mode) that this run no
-- longer reports, with a snapshot of what they were.
CREATE TABLE resolved (
	run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	fingerprint TEXT    NOT NULL,
	rule        TEXT    NOT NULL,
	severity    TEXT    NOT NULL,
	title       TEXT    NOT NULL,
	flow        TEXT    NOT NULL,
	message     TEXT    NOT NULL,
	file        TEXT    NOT NULL,
	line        INTEGER NOT NULL,
	first_seen  TEXT    NOT NULL,
	last_seen   TEXT    NOT NULL,
	PRIMARY KEY (run_id, fingerprint)
) STRICT;

-- observations: one flow on one day as one run saw it. sketch is an optional
-- serialised distinct-subject sketch (HyperLogLog) so that days seen by
-- several runs can be merged exactly-ish later.
CREATE TABLE observations (
	id                 INTEGER PRIMARY KEY,
	run_id             TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	flow               TEXT    NOT NULL,
	day                TEXT    NOT NULL,
	records            INTEGER NOT NULL,
	subjects           INTEGER NOT NULL,
	subjects_estimated INTEGER NOT NULL CHECK (subjects_estimated IN (0, 1)),
	items              TEXT    NOT NULL CHECK (json_valid(items)),
	unknown_items      TEXT    NOT NULL CHECK (json_valid(unknown_items)),
	countries          TEXT    NOT NULL CHECK (json_valid(countries)),
	hosts              TEXT    NOT NULL CHECK (json_valid(hosts)),
	protections        TEXT    NOT NULL CHECK (json_valid(protections)),
	tls                TEXT    NOT NULL CHECK (json_valid(tls)),
	without_consent    INTEGER NOT NULL,
	withdrawn_consent  INTEGER NOT NULL,
	bytes              INTEGER NOT NULL,
	sketch             BLOB,
	UNIQUE (run_id, flow, day)
) STRICT;

-- ObservationsSince reads a window of days across runs.
CREATE INDEX observations_day_flow ON observations (day, flow);

-- unmatched: traffic no declared flow matches, grouped by (key, country, day).
CREATE TABLE unmatched (
	id                 INTEGER PRIMARY KEY,
	run_id             TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	unmatched_key      TEXT    NOT NULL,
	integration        TEXT    NOT NULL,
	host               TEXT    NOT NULL,
	country            TEXT    NOT NULL,
	day                TEXT    NOT NULL,
	records            INTEGER NOT NULL,
	subjects           INTEGER NOT NULL,
	subjects_estimated INTEGER NOT NULL CHECK (subjects_estimated IN (0, 1)),
	items              TEXT    NOT NULL CHECK (json_valid(items)),
	unknown_items      TEXT    NOT NULL CHECK (json_valid(unknown_items)),
	protections        TEXT    NOT NULL CHECK (json_valid(protections)),
	tls                TEXT    NOT NULL CHECK (json_valid(tls)),
	bytes              INTEGER NOT NULL,
	UNIQUE (run_id, unmatched_key, country, day)
) STRICT;

-- data_quality: the line accounting of each log file of a run (totals are on runs).
CREATE TABLE data_quality (
	run_id   TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	pos      INTEGER NOT NULL,
	path     TEXT    NOT NULL,
	lines    INTEGER NOT NULL,
	records  INTEGER NOT NULL,
	bad      INTEGER NOT NULL,
	examples TEXT    NOT NULL CHECK (json_valid(examples)),
	PRIMARY KEY (run_id, pos)
) STRICT;

-- inputs: the files a run read (skipped = 0) or skipped because an earlier
-- run had ingested them (skipped = 1), in the run's order.
CREATE TABLE inputs (
	run_id  TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	skipped INTEGER NOT NULL CHECK (skipped IN (0, 1)),
	pos     INTEGER NOT NULL,
	path    TEXT    NOT NULL,
	sha256  TEXT    NOT NULL,
	kind    TEXT    NOT NULL,
	size    INTEGER NOT NULL,
	PRIMARY KEY (run_id, skipped, pos)
) STRICT;

-- ingested_files: every event file (transfer log or partial aggregate) by
-- digest, and the first run that ingested it: incremental ingestion.
CREATE TABLE ingested_files (
	sha256 TEXT    PRIMARY KEY CHECK (sha256 <> ''),
	path   TEXT    NOT NULL,
	kind   TEXT    NOT NULL,
	size   INTEGER NOT NULL,
	run_id TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE
) STRICT;

CREATE INDEX ingested_files_run ON ingested_files (run_id);

// Package store keeps xborder's history in SQLite: every run with its
// findings, the per-flow-per-day observations it aggregated, the traffic no
// flow matched, the data-quality accounting and the files it ingested.
//
// It is the only package that speaks SQL. It opens the database in WAL mode
// with foreign keys on and a busy timeout, applies the embedded migrations
// (migrations/NNNN_name.sql) in one transaction, and writes each run in one
// BEGIN IMMEDIATE transaction, so that concurrent writers (two scheduled
// audits on one database file) wait for each other instead of failing, and a
// failed write leaves nothing behind.
//
// Saving a run also computes each finding's lifecycle against the previous
// run of the same mode (new, recurring, resolved) and chains the run into a hash chain
// (Run.Hash, Run.PrevHash) that Verify recomputes, so that an edited, inserted
// or deleted run or finding shows. The store never sees raw subject keys:
// observations carry counts and sketches only.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// BusyTimeout is how long a writer waits for another writer's transaction
// before giving up: long enough for a large run to be saved by a concurrent
// audit.
const BusyTimeout = 30 * time.Second

// ErrNotFound is returned (wrapped) when a run does not exist, or when the
// database holds no run yet and "latest" was asked for.
var ErrNotFound = errors.New("not found")

// ErrSchemaTooNew is returned (wrapped) by Open for a database written by a
// newer xborder, whose schema this build does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this xborder")

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is an open xborder database. It is safe for concurrent use; several
// Stores (or processes) may share one database file.
type Store struct {
	db   *sql.DB
	path string
	// now is the clock used to name a run that has no start time.
	now func() time.Time
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. ":memory:" opens a private in-memory database, for tests.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty database path")
	}
	memory := path == ":memory:"
	dsn := ":memory:"
	if !memory {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open store: %w", err)
			}
		}
		// A URI so that any file name works: '%', '?' and '#' are escaped.
		dsn = "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	}
	dsn += fmt.Sprintf("?_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_busy_timeout=%d", BusyTimeout.Milliseconds())

	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if memory {
		// Every connection to ":memory:" is a new, empty database: keep one.
		db.SetMaxOpenConns(1)
	}
	s := &Store{db: db, path: path, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migration is one embedded schema step.
type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// migrations returns the embedded migrations in order. Their numbers must run
// 1, 2, 3 … without gaps: anything else is a programmer error (a test checks).
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d (migrations are numbered from 1 without gaps)", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build writes: the number of the
// last embedded migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate applies the migrations newer than the database's recorded schema
// version, all in one immediate transaction so that two processes opening a
// new database at once do not both create it.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	return s.immediate(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT`); err != nil {
			return fmt.Errorf("create meta: %w", err)
		}
		current := 0
		var v string
		switch err := c.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		default:
			if current, err = strconv.Atoi(v); err != nil {
				return fmt.Errorf("read schema version: %q is not a number", v)
			}
		}
		if current > latest {
			return fmt.Errorf("%w: the database has schema version %d, this build knows up to %d; use a newer xborder", ErrSchemaTooNew, current, latest)
		}
		for _, m := range ms[current:] {
			if _, err := c.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if current == latest {
			return nil
		}
		_, err := c.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema_version', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(latest))
		return err
	})
}

// immediate runs fn inside a BEGIN IMMEDIATE transaction on one connection:
// the write lock is taken up front (waiting up to BusyTimeout for another
// writer) so that reading the previous run and writing the next one cannot
// interleave with a concurrent writer. database/sql has no way to ask for an
// immediate transaction per call, hence the explicit BEGIN on a *sql.Conn.
// The transaction commits only if fn succeeds and ctx is still live.
func (s *Store) immediate(ctx context.Context, fn func(c *sql.Conn) error) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(c); err != nil {
		rollback(c)
		return err
	}
	if err := ctx.Err(); err != nil {
		rollback(c)
		return err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		rollback(c)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// rollback ends a failed transaction. SQLite may already have rolled back
// (an interrupted statement does that); if the connection is somehow still
// inside a transaction it is discarded rather than returned to the pool.
func rollback(c *sql.Conn) {
	_, _ = c.ExecContext(context.Background(), "ROLLBACK")
	_ = c.Raw(func(dc any) error {
		if sc, ok := dc.(*sqlite3.SQLiteConn); ok && !sc.AutoCommit() {
			return driver.ErrBadConn
		}
		return nil
	})
}

// querier is what both a *sql.Conn (inside a write) and a *sql.Tx (a read
// snapshot) offer, so that loaders serve SaveRun, Run and Verify alike.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// read runs fn in a deferred (read) transaction: one consistent snapshot of
// the database, which WAL lets writers proceed beside.
func (s *Store) read(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

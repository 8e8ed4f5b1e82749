package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMigrationsAreNumberedWithoutGaps(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].name != "0001_init.sql" {
		t.Fatalf("first migration = %+v, want 0001_init.sql", ms)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has version %d, want %d", m.name, m.version, i+1)
		}
	}
	if got := SchemaVersion(); got != len(ms) {
		t.Errorf("SchemaVersion() = %d, want %d", got, len(ms))
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T) (*Store, string)
		want map[string]string
	}{
		{"file", openFile, map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "30000", "synchronous": "1"}},
		// WAL does not apply to an in-memory database.
		{"memory", openMemory, map[string]string{"journal_mode": "memory", "foreign_keys": "1", "busy_timeout": "30000", "synchronous": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := tt.open(t)
			got := map[string]string{}
			for name := range tt.want {
				var v string
				if err := s.db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
					t.Fatal(err)
				}
				got[name] = v
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pragmas (-want +got):\n%s", diff)
			}
		})
	}
}

// schema lists the database objects and their SQL.
func schema(t *testing.T, s *Store) map[string]string {
	t.Helper()
	rows, err := s.db.Query(`SELECT name, coalesce(sql, '') FROM sqlite_schema`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		out[name] = sql
	}
	return out
}

func TestOpenTwiceIsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "xborder.db") // Open creates the directories
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	first := schema(t, s)
	saved := mustSave(t, s, newRun(0, finding("XB-SHADOW-FLOW", "", "api.evil.example", 4)))
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff(first, schema(t, s)); diff != "" {
		t.Errorf("schema changed on the second Open (-first +second):\n%s", diff)
	}
	for _, table := range append([]string{"meta"}, allTables...) {
		if _, ok := first[table]; !ok {
			t.Errorf("table %s missing", table)
		}
	}
	var version string
	if err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if want := "1"; version != want || SchemaVersion() != 1 {
		t.Errorf("schema_version = %s, SchemaVersion() = %d, want %s", version, SchemaVersion(), want)
	}
	got, err := s.Run(ctx, "latest")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != saved.ID || got.Hash != saved.Hash {
		t.Errorf("after reopening, latest run = %s %s, want %s %s", got.ID, got.Hash, saved.ID, saved.Hash)
	}
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	_, path := openFile(t)
	exec(t, rawDB(t, path, false), `UPDATE meta SET value = '999' WHERE key = 'schema_version'`)
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a schema-999 database: err = %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{path, "999", "newer xborder"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a text file: err = %v, want an error naming %s", err, path)
	}
}

func TestConcurrentOpenOfNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xborder.db")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(context.Background(), path)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s.db, "meta"); n != 1 {
		t.Errorf("meta has %d rows after concurrent opens, want 1", n)
	}
}

func integrityCheck(t *testing.T, s *Store) {
	t.Helper()
	var res string
	if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, want ok", res)
	}
	var fk int
	if err := s.db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 0 {
		t.Errorf("foreign_key_check reports %d violations", fk)
	}
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// openers are the two kinds of database every behaviour is tested on.
var openers = []struct {
	name string
	open func(t *testing.T) (*Store, string)
}{
	{"file", openFile},
	{"memory", openMemory},
}

func openFile(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "xborder.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func openMemory(t *testing.T) (*Store, string) {
	t.Helper()
	s, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ":memory:"
}

// rawDB is a second, independent handle on a database file, for tampering
// behind the store's back. fk turns foreign keys (and so cascades) on.
func rawDB(t *testing.T, path string, fk bool) *sql.DB {
	t.Helper()
	dsn := "file:" + path + "?_busy_timeout=30000"
	if fk {
		dsn += "&_foreign_keys=on"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func count(t *testing.T, q interface {
	QueryRow(string, ...any) *sql.Row
}, table string) int {
	t.Helper()
	var n int
	if err := q.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var allTables = []string{"runs", "findings", "resolved", "observations", "unmatched", "data_quality", "inputs", "ingested_files"}

// base is the start of the first test run.
var base = time.Date(2024, 3, 1, 2, 0, 0, 123456789, time.UTC)

// finding builds a finding of rule on flow with evidence as the policy
// engine hands it over (numbers as json.Number).
func finding(rule, flow, key string, sev audit.Severity) audit.Finding {
	return audit.Finding{
		ID:       audit.Fingerprint(rule, flow, "manifests/flows.yaml", key),
		Rule:     rule,
		Severity: sev,
		Title:    rule + " title",
		TitleKO:  rule + " 제목",
		Articles: []string{"PIPA 28-8(1)"},
		Flow:     flow,
		Message:  fmt.Sprintf("%s fires on %s", rule, flow),
		Evidence: map[string]any{
			"subjects": json.Number("40450000"),
			"share":    json.Number("0.98"),
			"items":    []any{"account_id", "phone"},
			"nested":   map[string]any{"ok": false, "none": nil},
		},
		Location:    audit.Source{File: "manifests/flows.yaml", Line: 12, Col: 3},
		Field:       "spec.legalBasis.overseas",
		Remediation: "declare a basis",
		Key:         key,
	}
}

// newRun builds an audit run n hours after base with the given findings.
func newRun(n int, fs ...audit.Finding) *audit.Run {
	started := base.Add(time.Duration(n) * time.Hour)
	return &audit.Run{
		Mode:         audit.ModeAudit,
		AsOf:         started.Format(audit.DateLayout),
		Started:      started,
		Finished:     started.Add(90 * time.Second),
		Tool:         audit.Tool{Name: "xborder", Version: "v0.1.0"},
		Inputs:       []audit.InputFile{{Path: "manifests/flows.yaml", SHA256: fmt.Sprintf("%064d", 1), Kind: "manifest", Size: 900}},
		PolicyDigest: "sha256:policy",
		Records:      int64(100 * (n + 1)),
		Findings:     slices.Clone(fs),
		DataQuality:  audit.DataQuality{Files: []audit.FileQuality{}},
	}
}

// lifecycle projects findings onto what the lifecycle decides.
type lifecycle struct{ ID, Status, FirstSeen string }

func lifecycles(fs []audit.Finding) []lifecycle {
	out := make([]lifecycle, len(fs))
	for i, f := range fs {
		out[i] = lifecycle{f.ID, f.Status, f.FirstSeen}
	}
	slices.SortFunc(out, func(a, b lifecycle) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

func mustSave(t *testing.T, s *Store, r *audit.Run) *audit.Run {
	t.Helper()
	if err := s.SaveRun(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

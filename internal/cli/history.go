package cli

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

// An audit keeps history: each log file is ingested once (identified by
// its SHA-256), each run stores the per-flow-day state of what it read,
// and the policies judge the trailing window of stored days together with
// the run's own, so that a daily run reading only today's file still sees
// a month. This file holds those steps; runAudit calls them in order:
//
//	lockHistory → ingest (plan, ledger, read) → windowObservations → saveRun

// lockHistory serialises audits on one database file: two scheduled runs
// started at once run one after the other, so that the second sees the
// files and days the first stored. It returns the release function, which
// may be called more than once.
func lockHistory(ctx context.Context, db string, lg *slog.Logger) (func(), error) {
	if db == ":memory:" {
		return func() {}, nil
	}
	release, err := lockFile(ctx, db+".lock", func() {
		lg.InfoContext(ctx, "waiting for another audit on the database", "db", db)
	})
	if err != nil {
		return nil, err
	}
	return sync.OnceFunc(release), nil
}

// ingestion is what a run read: this run's aggregate, the consent ledger,
// and the log files it skipped.
type ingestion struct {
	agg     *collectors.Aggregate
	ledger  *collectors.ConsentLedger // nil without --consents
	skipped []audit.InputFile
	extra   []audit.InputFile // other inputs: the log mapping, those partials recorded
}

// quality is the run's line accounting: the logs read and the ledger.
func (in *ingestion) quality() audit.DataQuality {
	q := in.agg.Quality()
	if in.ledger != nil {
		for _, f := range in.ledger.Quality() {
			q.Files = append(q.Files, f)
			q.Lines += f.Lines
			q.Bad += f.Bad
		}
		slices.SortStableFunc(q.Files, func(a, b audit.FileQuality) int { return cmp.Compare(a.Path, b.Path) })
	}
	return q
}

// files are the event and ledger files the run read, with their digests.
func (in *ingestion) files() []audit.InputFile {
	out := in.agg.Files()
	if in.ledger != nil {
		out = append(out, in.ledger.Files()...)
	}
	return addInputs(out, in.extra...)
}

// ingest digests the log files, skips those an earlier run ingested, reads
// the consent ledger and the remaining logs.
func ingest(ctx context.Context, e *env, lg *slog.Logger, st *store.Store, m *audit.Manifests, logs, consents []string, opt collectors.LogOptions) (*ingestion, error) {
	toRead, skipped, err := planLogs(ctx, e, lg, st, logs, opt)
	if err != nil {
		return nil, err
	}
	in := &ingestion{skipped: skipped}
	if len(consents) > 0 {
		if in.ledger, err = collectors.ReadConsents(ctx, m, consents); err != nil {
			return nil, withCode(ExitError, err)
		}
		opt.Consents = in.ledger
		lg.InfoContext(ctx, "consent ledger read", "files", len(in.ledger.Files()), "entries", in.ledger.Entries(),
			"ignoredEntries", in.ledger.Ignored(), "flows", in.ledger.Flows())
	}
	if len(toRead) == 0 {
		in.agg = collectors.NewAggregate(opt)
		return in, nil
	}
	var total int64
	paths := make([]string, len(toRead))
	for i, f := range toRead {
		paths[i], total = f.Path, total+f.Size
	}
	var lines atomic.Int64
	bar := newProgress(e, "reading logs  ", total, &lines)
	opt.Lines, opt.Progress = &lines, bar.update
	if in.agg, err = collectors.ReadLogs(ctx, m, paths, opt); err != nil {
		return nil, withCode(ExitError, err)
	}
	bar.finish(total)
	return in, nil
}

// planLogs splits the log files under paths into the files to read and
// those to skip: ingested by an earlier run, or the same content as a file
// listed before it. Only files that could be such copies (by size) are
// digested here. Each skipped file is logged.
func planLogs(ctx context.Context, e *env, lg *slog.Logger, st *store.Store, paths []string, opt collectors.LogOptions) (toRead, skipped []audit.InputFile, err error) {
	if len(paths) == 0 {
		return nil, nil, nil
	}
	files, err := collectors.FindLogs(paths, opt)
	if err != nil {
		return nil, nil, withCode(ExitError, err)
	}
	// Only a file that could be a copy needs its digest before it is read:
	// one whose size an ingested file or another file of this run has.
	// Reading digests every file anyway, so a new log is hashed once.
	sizes := map[int64]int{}
	for _, f := range files {
		sizes[f.Size]++
	}
	var total, done int64
	var check []audit.InputFile
	for _, f := range files {
		known, err := st.IngestedSize(ctx, f.Size)
		if err != nil {
			return nil, nil, err
		}
		if known || sizes[f.Size] > 1 {
			check = append(check, f)
			total += f.Size
		} else {
			toRead = append(toRead, f)
		}
	}
	bar := newProgress(e, "digesting logs", total, nil)
	seen := map[string]string{} // digest → path read in this run
	for _, f := range check {
		if f.SHA256, err = digestFile(ctx, f.Path, func(n int64) { bar.update(done + n) }); err != nil {
			return nil, nil, withCode(ExitError, &audit.InputError{File: f.Path, Msg: err.Error()})
		}
		done += f.Size
		if first, dup := seen[f.SHA256]; dup {
			lg.InfoContext(ctx, "log file skipped", "path", f.Path, "sha256", f.SHA256, "reason", "same content as "+first)
			skipped = append(skipped, f)
			continue
		}
		run, ok, err := st.IngestedFile(ctx, f.SHA256)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			lg.InfoContext(ctx, "log file skipped", "path", f.Path, "sha256", f.SHA256, "reason", "already ingested by run "+run)
			skipped = append(skipped, f)
			continue
		}
		seen[f.SHA256] = f.Path
		toRead = append(toRead, f)
	}
	bar.finish(total)
	slices.SortFunc(toRead, func(a, b audit.InputFile) int { return cmp.Compare(a.Path, b.Path) })
	return toRead, skipped, nil
}

// digestFile is the SHA-256 of a file's bytes (compressed bytes for a
// compressed file), the identity incremental ingestion knows it by; read
// is called with the bytes read so far.
func digestFile(ctx context.Context, path string, read func(int64)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		read(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// window is the days the policies judge besides the run's own: the
// trailing bulkWindowDays days ending at asOf.
type window struct{ from, to string }

func trailingWindow(asOf string, params map[string]any) (window, error) {
	days := 30
	if v, ok := params["bulkWindowDays"]; ok {
		n, err := paramInt(v)
		if err != nil || n < 1 {
			return window{}, usageError("params.bulkWindowDays: %v is not a positive whole number of days", v)
		}
		days = n
	}
	t, err := audit.ParseDate(asOf)
	if err != nil {
		return window{}, usageError("--as-of: %q is not a date (want YYYY-MM-DD)", asOf)
	}
	return window{from: t.AddDate(0, 0, 1-days).Format(audit.DateLayout), to: asOf}, nil
}

// paramInt reads a whole number from a decoded parameter.
func paramInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case json.Number:
		return strconv.Atoi(string(x))
	}
	return 0, fmt.Errorf("not a whole number: %v", v)
}

// history is the policy input's view of the logs: the stored days of the
// window merged with the run's own days.
type history struct {
	observations []audit.Observation
	examples     map[string][]audit.ConsentExample
	storedDays   int // stored flow-days merged in
}

// windowObservations merges the flow-days stored by earlier runs within w
// with the run's aggregate. Stored flow-day states merge exactly (exact
// subject sets unite, sketches merge register by register; counts add); a
// flow-day stored without a state (a run saved by an older xborder) is
// taken as the store sums it, with its subjects flagged as estimated.
func windowObservations(ctx context.Context, st *store.Store, agg *collectors.Aggregate, w window, opt collectors.LogOptions) (*history, error) {
	merged := collectors.NewAggregate(opt)
	states, err := st.ObservationSketches(ctx, w.from)
	if err != nil {
		return nil, err
	}
	type flowDay struct{ flow, day string }
	stated := map[flowDay]bool{}
	for _, s := range states {
		if s.Day > w.to {
			continue
		}
		if err := merged.MergeBinary(s.Sketch); err != nil {
			return nil, fmt.Errorf("stored state of flow %s on %s: %w (xborder verify --db tells what was changed)", s.Flow, s.Day, err)
		}
		stated[flowDay{s.Flow, s.Day}] = true
	}
	rows, err := st.ObservationsSince(ctx, w.from)
	if err != nil {
		return nil, err
	}
	var stateless []audit.Observation
	for _, o := range rows {
		if k := (flowDay{o.Flow, o.Day}); o.Day <= w.to && !stated[k] {
			stateless = append(stateless, o)
		}
	}
	merged.Merge(agg)
	h := &history{observations: merged.Observations(), examples: merged.ConsentExamples(), storedDays: len(stated) + len(stateless)}
	for _, o := range stateless {
		i, found := slices.BinarySearchFunc(h.observations, o, func(a, b audit.Observation) int {
			return cmp.Or(cmp.Compare(a.Flow, b.Flow), cmp.Compare(a.Day, b.Day))
		})
		if !found {
			h.observations = slices.Insert(h.observations, i, o)
			continue
		}
		addObservation(&h.observations[i], o)
	}
	return h, nil
}

// addObservation adds a stored observation without a state to the run's
// observation of the same flow-day: counts add, lists unite, and the
// distinct subjects are the larger of the two, a lower bound flagged as an
// estimate.
func addObservation(m *audit.Observation, o audit.Observation) {
	m.Records += o.Records
	m.WithoutConsent += o.WithoutConsent
	m.WithdrawnConsent += o.WithdrawnConsent
	m.Bytes += o.Bytes
	m.Subjects, m.SubjectsEstimated = max(m.Subjects, o.Subjects), true
	for _, p := range []struct{ dst, src *[]string }{
		{&m.Items, &o.Items}, {&m.UnknownItems, &o.UnknownItems}, {&m.Countries, &o.Countries},
		{&m.Hosts, &o.Hosts}, {&m.Protections, &o.Protections}, {&m.TLS, &o.TLS},
	} {
		u := append(slices.Clone(*p.dst), *p.src...)
		slices.Sort(u)
		*p.dst = slices.Compact(u)
	}
}

// saveRun stores the run with the state of each flow-day it read, so that
// later runs merge them.
func saveRun(ctx context.Context, st *store.Store, run *audit.Run, agg *collectors.Aggregate) error {
	states, err := agg.FlowDayStates()
	if err != nil {
		return err
	}
	sketches := make([]store.ObservationSketch, len(states))
	for i, s := range states {
		sketches[i] = store.ObservationSketch{Flow: s.Flow, Day: s.Day, Sketch: s.State}
	}
	return st.SaveRunWithSketches(ctx, run, sketches)
}

// logRunEnd logs the files read and the outcome of a saved run.
func logRunEnd(ctx context.Context, lg *slog.Logger, run *audit.Run, h *history, started time.Time, now time.Time, code int) {
	for _, f := range run.DataQuality.Files {
		lg.InfoContext(ctx, "file read", "path", f.Path, "lines", f.Lines, "records", f.Records, "badLines", f.Bad)
	}
	s := run.Summary()
	var newCount int
	for _, f := range run.Findings {
		if f.Status == audit.StatusNew {
			newCount++
		}
	}
	lg.InfoContext(ctx, "audit end", "run", run.ID, "asOf", run.AsOf, "records", run.Records,
		"inputs", len(run.Inputs), "skippedFiles", len(run.SkippedFiles), "storedFlowDays", h.storedDays,
		"findings", len(run.Findings), "new", newCount,
		"critical", s.Critical, "high", s.High, "medium", s.Medium, "low", s.Low, "waived", s.Waived,
		"seconds", now.Sub(started).Seconds(), "exitCode", code, "hash", run.Hash)
}

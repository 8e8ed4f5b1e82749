package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/xborder/xborder/internal/audit"
)

// ObservationSketch is the serialised mergeable state of one flow on one
// day, opaque to the store: `xborder audit` stores the collectors'
// flow-day state (counts, sets, and the distinct subjects as an exact set
// of 64-bit hashes or a HyperLogLog sketch, collectors.FlowDayState).
// Stored beside the observation, it lets a later run merge a day seen by
// several runs into one exact distinct count instead of the lower bound
// ObservationsSince returns, and evaluate a trailing window over stored
// days without reading their logs again.
type ObservationSketch struct {
	Flow   string
	Day    string
	Sketch []byte
}

type flowDay struct{ flow, day string }

// indexSketches checks that every sketch belongs to an observation of the
// run, once, and indexes them.
func indexSketches(obs []audit.Observation, sketches []ObservationSketch) (map[flowDay][]byte, error) {
	if len(sketches) == 0 {
		return nil, nil
	}
	have := make(map[flowDay]bool, len(obs))
	for _, o := range obs {
		have[flowDay{o.Flow, o.Day}] = true
	}
	idx := make(map[flowDay][]byte, len(sketches))
	for _, s := range sketches {
		k := flowDay{s.Flow, s.Day}
		if !have[k] {
			return nil, fmt.Errorf("sketch of flow %q on %s: the run has no such observation", s.Flow, s.Day)
		}
		if _, dup := idx[k]; dup {
			return nil, fmt.Errorf("sketch of flow %q on %s: given twice", s.Flow, s.Day)
		}
		idx[k] = s.Sketch
	}
	return idx, nil
}

// sketchList lists the sketches in observation order, as loadObservations
// returns them.
func sketchList(obs []audit.Observation, idx map[flowDay][]byte) []ObservationSketch {
	var out []ObservationSketch
	for _, o := range obs {
		if b, ok := idx[flowDay{o.Flow, o.Day}]; ok && b != nil {
			out = append(out, ObservationSketch{Flow: o.Flow, Day: o.Day, Sketch: b})
		}
	}
	return out
}

func insertObservations(ctx context.Context, c querier, runID string, obs []audit.Observation, sketchOf map[flowDay][]byte) error {
	stmt, err := c.PrepareContext(ctx, `INSERT INTO observations (run_id, flow, day, records, subjects, subjects_estimated,
		items, unknown_items, countries, hosts, protections, tls, without_consent, withdrawn_consent, bytes, sketch)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, o := range obs {
		if err := ctx.Err(); err != nil {
			return err
		}
		lists, err := jsonLists(o.Items, o.UnknownItems, o.Countries, o.Hosts, o.Protections, o.TLS)
		if err != nil {
			return err
		}
		var sketch []byte // nil is NULL
		if b, ok := sketchOf[flowDay{o.Flow, o.Day}]; ok {
			sketch = b
		}
		if _, err := stmt.ExecContext(ctx, runID, o.Flow, o.Day, o.Records, o.Subjects, o.SubjectsEstimated,
			lists[0], lists[1], lists[2], lists[3], lists[4], lists[5], o.WithoutConsent, o.WithdrawnConsent, o.Bytes, sketch); err != nil {
			return fmt.Errorf("observation of flow %q on %s: %w", o.Flow, o.Day, err)
		}
	}
	return nil
}

const observationColumns = `o.flow, o.day, o.records, o.subjects, o.subjects_estimated, o.items, o.unknown_items,
	o.countries, o.hosts, o.protections, o.tls, o.without_consent, o.withdrawn_consent, o.bytes`

func scanObservation(rows *sql.Rows, extra ...any) (audit.Observation, error) {
	var o audit.Observation
	var lists [6]string
	dest := append([]any{&o.Flow, &o.Day, &o.Records, &o.Subjects, &o.SubjectsEstimated,
		&lists[0], &lists[1], &lists[2], &lists[3], &lists[4], &lists[5],
		&o.WithoutConsent, &o.WithdrawnConsent, &o.Bytes}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return o, err
	}
	for i, p := range []*[]string{&o.Items, &o.UnknownItems, &o.Countries, &o.Hosts, &o.Protections, &o.TLS} {
		if err := json.Unmarshal([]byte(lists[i]), p); err != nil {
			return o, fmt.Errorf("observation of flow %q on %s: %w", o.Flow, o.Day, err)
		}
	}
	return o, nil
}

// loadObservations reads a run's observations in the order saved, and their
// sketches when asked.
func loadObservations(ctx context.Context, q querier, runID string, withSketches bool) ([]audit.Observation, []ObservationSketch, error) {
	sketchColumn := "NULL"
	if withSketches {
		sketchColumn = "o.sketch"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+observationColumns+`, `+sketchColumn+` FROM observations o WHERE o.run_id = ? ORDER BY o.id`, runID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var obs []audit.Observation
	var sketches []ObservationSketch
	for rows.Next() {
		var sketch []byte
		o, err := scanObservation(rows, &sketch)
		if err != nil {
			return nil, nil, err
		}
		obs = append(obs, o)
		if sketch != nil {
			sketches = append(sketches, ObservationSketch{Flow: o.Flow, Day: o.Day, Sketch: sketch})
		}
	}
	return obs, sketches, rows.Err()
}

// ObservationsSince returns the stored observations of every day from
// fromDay (YYYY-MM-DD) on, across all runs, one per (flow, day), ordered by
// flow then day: the history volume rules look back over (bulk days in a
// 30-day window).
//
// A (flow, day) stored by several runs (a day whose logs arrived in several
// files, each ingested once by digest) is merged: records, withoutConsent,
// withdrawnConsent and bytes are summed, the lists are united and sorted.
// Distinct subjects cannot be summed (one subject may appear in both files):
// the maximum is returned with SubjectsEstimated set, a lower bound of the
// true count. A caller that needs better merges the sketches from
// ObservationSketches. A (flow, day) stored by one run is returned as stored.
func (s *Store) ObservationsSince(ctx context.Context, fromDay string) ([]audit.Observation, error) {
	if _, err := audit.ParseDate(fromDay); err != nil {
		return nil, fmt.Errorf("observations since %q: not a YYYY-MM-DD day", fromDay)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+observationColumns+` FROM observations o JOIN runs r ON r.id = o.run_id
		WHERE o.day >= ? ORDER BY o.flow, o.day, r.seq`, fromDay)
	if err != nil {
		return nil, fmt.Errorf("observations since %s: %w", fromDay, err)
	}
	defer rows.Close()
	var out []audit.Observation
	for rows.Next() {
		o, err := scanObservation(rows)
		if err != nil {
			return nil, fmt.Errorf("observations since %s: %w", fromDay, err)
		}
		if n := len(out); n > 0 && out[n-1].Flow == o.Flow && out[n-1].Day == o.Day {
			mergeObservation(&out[n-1], o)
			continue
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("observations since %s: %w", fromDay, err)
	}
	return out, nil
}

// mergeObservation adds o, the same flow and day from a later run, to m.
func mergeObservation(m *audit.Observation, o audit.Observation) {
	m.Records += o.Records
	m.WithoutConsent += o.WithoutConsent
	m.WithdrawnConsent += o.WithdrawnConsent
	m.Bytes += o.Bytes
	m.Subjects = max(m.Subjects, o.Subjects)
	m.SubjectsEstimated = true
	for _, p := range []struct{ dst, src *[]string }{
		{&m.Items, &o.Items}, {&m.UnknownItems, &o.UnknownItems}, {&m.Countries, &o.Countries},
		{&m.Hosts, &o.Hosts}, {&m.Protections, &o.Protections}, {&m.TLS, &o.TLS},
	} {
		u := append(slices.Clone(*p.dst), *p.src...)
		slices.Sort(u)
		*p.dst = slices.Compact(u)
	}
}

// ObservationSketches returns every stored sketch of the days from fromDay
// on, ordered by flow, day and run: several per (flow, day) when several runs
// saw that day, for the caller to merge.
func (s *Store) ObservationSketches(ctx context.Context, fromDay string) ([]ObservationSketch, error) {
	if _, err := audit.ParseDate(fromDay); err != nil {
		return nil, fmt.Errorf("observation sketches since %q: not a YYYY-MM-DD day", fromDay)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT o.flow, o.day, o.sketch FROM observations o JOIN runs r ON r.id = o.run_id
		WHERE o.day >= ? AND o.sketch IS NOT NULL ORDER BY o.flow, o.day, r.seq`, fromDay)
	if err != nil {
		return nil, fmt.Errorf("observation sketches since %s: %w", fromDay, err)
	}
	defer rows.Close()
	var out []ObservationSketch
	for rows.Next() {
		var sk ObservationSketch
		if err := rows.Scan(&sk.Flow, &sk.Day, &sk.Sketch); err != nil {
			return nil, fmt.Errorf("observation sketches since %s: %w", fromDay, err)
		}
		out = append(out, sk)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("observation sketches since %s: %w", fromDay, err)
	}
	return out, nil
}

func insertUnmatched(ctx context.Context, c querier, runID string, us []audit.Unmatched) error {
	stmt, err := c.PrepareContext(ctx, `INSERT INTO unmatched (run_id, unmatched_key, integration, host, country, day,
		records, subjects, subjects_estimated, items, unknown_items, protections, tls, bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, u := range us {
		if err := ctx.Err(); err != nil {
			return err
		}
		lists, err := jsonLists(u.Items, u.UnknownItems, u.Protections, u.TLS)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, runID, u.Key, u.Integration, u.Host, u.Country, u.Day, u.Records, u.Subjects, u.SubjectsEstimated,
			lists[0], lists[1], lists[2], lists[3], u.Bytes); err != nil {
			return fmt.Errorf("unmatched traffic %q to %s on %s: %w", u.Key, u.Country, u.Day, err)
		}
	}
	return nil
}

func loadUnmatched(ctx context.Context, q querier, runID string) ([]audit.Unmatched, error) {
	rows, err := q.QueryContext(ctx, `SELECT unmatched_key, integration, host, country, day, records, subjects,
		subjects_estimated, items, unknown_items, protections, tls, bytes FROM unmatched WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Unmatched
	for rows.Next() {
		var u audit.Unmatched
		var lists [4]string
		if err := rows.Scan(&u.Key, &u.Integration, &u.Host, &u.Country, &u.Day, &u.Records, &u.Subjects,
			&u.SubjectsEstimated, &lists[0], &lists[1], &lists[2], &lists[3], &u.Bytes); err != nil {
			return nil, err
		}
		for i, p := range []*[]string{&u.Items, &u.UnknownItems, &u.Protections, &u.TLS} {
			if err := json.Unmarshal([]byte(lists[i]), p); err != nil {
				return nil, fmt.Errorf("unmatched traffic %q on %s: %w", u.Key, u.Day, err)
			}
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// jsonLists encodes string lists for JSON columns (nil stays null).
func jsonLists(lists ...[]string) ([]string, error) {
	out := make([]string, len(lists))
	for i, l := range lists {
		s, err := jsonText(l)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

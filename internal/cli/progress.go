package cli

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// progress is the one-line progress bar of a long phase (digesting or
// reading the logs) on a terminal's standard error: the share done of the
// bytes to read, the bytes, records per second and the time left
// estimated from the file sizes. It is nil, and every method a no-op, when
// standard error is not a terminal: scheduled runs log through slog
// instead.
type progress struct {
	w       io.Writer
	now     func() time.Time
	phase   string
	total   int64         // bytes to process
	records *atomic.Int64 // lines parsed so far, nil when not counted
	start   time.Time
	last    time.Time
	drawn   bool
}

// progressEvery is how often the bar is redrawn at most.
const progressEvery = 200 * time.Millisecond

// newProgress returns a bar for a phase over total bytes, nil unless
// standard error is a terminal.
func newProgress(e *env, phase string, total int64, records *atomic.Int64) *progress {
	if !e.isTerminal(e.stderr) || total <= 0 {
		return nil
	}
	now := e.now()
	return &progress{w: e.stderr, now: e.now, phase: phase, total: total, records: records, start: now}
}

// update redraws the bar with done bytes processed (throttled).
func (p *progress) update(done int64) {
	if p == nil {
		return
	}
	now := p.now()
	if p.drawn && now.Sub(p.last) < progressEvery {
		return
	}
	p.last, p.drawn = now, true
	fmt.Fprint(p.w, "\r\033[K"+p.line(done, now))
}

// finish draws the final state and ends the line.
func (p *progress) finish(done int64) {
	if p == nil {
		return
	}
	fmt.Fprint(p.w, "\r\033[K"+p.line(done, p.now())+"\n")
}

// line renders the bar: "reading logs [#########...........]  45%  1.2 GB / 2.7 GB  850,412 rec/s  ETA 0:12".
func (p *progress) line(done int64, now time.Time) string {
	const width = 24
	done = min(max(done, 0), p.total)
	frac := float64(done) / float64(p.total)
	n := int(frac * width)
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s%s] %3.0f%%  %s / %s", p.phase, strings.Repeat("#", n), strings.Repeat(".", width-n),
		100*frac, humanBytes(done), humanBytes(p.total))
	elapsed := now.Sub(p.start).Seconds()
	if elapsed <= 0 {
		return b.String()
	}
	if p.records != nil {
		fmt.Fprintf(&b, "  %s rec/s", thousands(int64(float64(p.records.Load())/elapsed)))
	}
	if done > 0 && done < p.total {
		left := time.Duration(elapsed * float64(p.total-done) / float64(done) * float64(time.Second))
		fmt.Fprintf(&b, "  ETA %s", clock(left))
	}
	return b.String()
}

// humanBytes prints a byte count in B, kB, MB or GB (powers of 1000).
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// thousands prints n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// clock prints a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

package cli

import (
	"io"
	"log/slog"
	"time"
)

// logFormats are the values of --log-format.
var logFormats = map[string]func(io.Writer, *slog.HandlerOptions) slog.Handler{
	"text": func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) },
	"json": func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) },
}

// newLogger returns the structured logger of a scheduled run: one record
// per event (run start and end, each file read or skipped, the consent
// ledger, the history merged) on w, in the --log-format, timestamped with
// the env's clock. Records carry paths, digests and counts, never a
// subject key or an item value.
func newLogger(w io.Writer, format string, now func() time.Time) (*slog.Logger, error) {
	if err := checkLogFormat(format); err != nil {
		return nil, usageError("--log-format: %v", err)
	}
	mk := logFormats[format]
	h := mk(w, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Time(slog.TimeKey, now().UTC())
		}
		return a
	}})
	return slog.New(h), nil
}

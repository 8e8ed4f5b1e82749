//go:build !unix

package cli

import "context"

// lockFile does nothing where flock is not available: concurrent audits on
// one database are then serialised by SQLite's write lock only, which keeps
// the database intact but may let two runs ingest the same new file.
func lockFile(context.Context, string, func()) (func(), error) { return func() {}, nil }

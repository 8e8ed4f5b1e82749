//go:build !unix

package cache

// ownedPrivately has nothing to check where there are no Unix owners and
// modes; the user's cache directory is private by the system's defaults.
func ownedPrivately(string) error { return nil }

// Package cache is a content-addressed store of results on disk, the way Go's
// build cache and the linters' caches (golangci-lint, ruff, ESLint --cache)
// keep theirs: a result is filed under the SHA-256 of everything it was
// computed from (a Key), so an entry is either exactly right for its inputs
// or never found; nothing is ever invalidated, old entries are trimmed.
//
// An entry is written to a temporary file and renamed into place, so a
// reader sees a whole entry or none; each carries the SHA-256 of its
// payload, so a damaged file reads as a miss and is removed. Every failure
// of the cache is a miss for the caller: a result is then computed as if
// there were no cache.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// magic starts every entry file: the format of the file, not of the payload
// (whose meaning the key's own version field fixes).
var magic = []byte("xborder-cache-1\n")

// Ages that bound the cache's size: an entry not used for maxUnused is
// removed by the next trim, which runs at most once per trimInterval; a hit
// refreshes an entry's time at most once per touchInterval.
const (
	maxUnused     = 7 * 24 * time.Hour
	trimInterval  = 24 * time.Hour
	touchInterval = time.Hour
)

// Key accumulates the inputs of a result. Each Add is length-prefixed, so
// ("ab", "c") and ("a", "bc") are different keys.
type Key struct{ h hash.Hash }

// NewKey starts a key with a namespace naming what is cached and the format
// of its payload: change it when the payload changes shape.
func NewKey(namespace string) *Key {
	k := &Key{h: sha256.New()}
	k.Add(namespace)
	return k
}

// Add adds one input.
func (k *Key) Add(parts ...string) *Key {
	for _, s := range parts {
		k.h.Write(strconv.AppendInt(nil, int64(len(s)), 10))
		k.h.Write([]byte{':'})
		k.h.Write([]byte(s))
	}
	return k
}

// Sum is the key's name in the cache.
func (k *Key) Sum() string { return hex.EncodeToString(k.h.Sum(nil)) }

// Cache is a directory of entries.
type Cache struct {
	dir string
	now func() time.Time
}

// Open opens (creating it, private to the user) the cache in dir.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: dir, now: time.Now}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// path files an entry under the first two hex digits of its key, so that no
// directory holds more than a few hundred entries.
func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+"-r")
}

// Get returns the payload filed under key, or false: none, unreadable or
// damaged (a damaged entry is removed).
func (c *Cache) Get(key string) ([]byte, bool) {
	if len(key) != sha256.Size*2 {
		return nil, false
	}
	p := c.path(key)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	payload, ok := unwrap(b)
	if !ok {
		os.Remove(p)
		return nil, false
	}
	if fi, err := os.Stat(p); err == nil && c.now().Sub(fi.ModTime()) > touchInterval {
		now := c.now()
		os.Chtimes(p, now, now) // keep a used entry from being trimmed
	}
	return payload, true
}

// Put files payload under key, atomically; an existing entry is replaced.
func (c *Cache) Put(key string, payload []byte) error {
	if len(key) != sha256.Size*2 {
		return fmt.Errorf("cache: malformed key %q", key)
	}
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*.tmp")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	sum := sha256.Sum256(payload)
	_, werr := f.Write(bytes.Join([][]byte{magic, []byte(hex.EncodeToString(sum[:]) + "\n"), payload}, nil))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), p)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cache: %w", werr)
	}
	c.trim()
	return nil
}

// unwrap checks an entry file's header and returns its payload.
func unwrap(b []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, magic)
	if !ok || len(rest) < sha256.Size*2+1 || rest[sha256.Size*2] != '\n' {
		return nil, false
	}
	want, payload := rest[:sha256.Size*2], rest[sha256.Size*2+1:]
	got := sha256.Sum256(payload)
	return payload, hex.EncodeToString(got[:]) == string(want)
}

// trim removes the entries unused for maxUnused and the temporary files of
// writers that died, at most once per trimInterval (a stamp file's time
// says when it last ran).
func (c *Cache) trim() {
	stamp := filepath.Join(c.dir, "trim.txt")
	now := c.now()
	if fi, err := os.Stat(stamp); err == nil && now.Sub(fi.ModTime()) < trimInterval {
		return
	}
	if err := os.WriteFile(stamp, []byte(now.UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
		return
	}
	os.Chtimes(stamp, now, now)
	filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == stamp {
			return nil
		}
		if fi, err := d.Info(); err == nil && now.Sub(fi.ModTime()) > maxUnused {
			os.Remove(p)
		}
		return nil
	})
}

// Clean removes every entry. It removes only what the cache writes (the
// two-hex-digit directories of entries and the trim stamp), so that a
// mistyped --cache-dir pointing at a directory of other files loses none
// of them.
func (c *Cache) Clean() (removed int, err error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return 0, fmt.Errorf("cache: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && isShard(name):
			files, _ := os.ReadDir(filepath.Join(c.dir, name))
			for _, f := range files {
				if strings.HasSuffix(f.Name(), "-r") {
					removed++
				}
			}
			errs = append(errs, os.RemoveAll(filepath.Join(c.dir, name)))
		case !e.IsDir() && name == "trim.txt":
			errs = append(errs, os.Remove(filepath.Join(c.dir, name)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("cache: %w", err)
	}
	return removed, nil
}

// isShard reports whether name is a directory of entries: two hex digits.
func isShard(name string) bool {
	if len(name) != 2 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil && strings.ToLower(name) == name
}

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

// tagName and tag mark a directory as a cache (the Cache Directory Tagging
// convention, https://bford.info/cachedir/, which backup tools honour).
// The cache only ever writes, trims or cleans a directory that carries it.
const (
	tagName = "CACHEDIR.TAG"
	tag     = "Signature: 8a477f597d28d172789f06886806bc55\n" +
		"# This file is a cache directory tag created by xborder (xborder cache dir).\n" +
		"# Its entries are check results; `xborder cache clean` removes them.\n"
)

// Open opens the cache in dir, creating it private to the user and tagged
// when it does not exist or is empty. A directory that holds other files
// and no tag is refused, so that a mistyped --cache-dir (".", $HOME)
// never has files trimmed or cleaned away; so is one that others may
// write into (ownedPrivately), where someone could plant results.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := ownedPrivately(dir); err != nil {
		return nil, fmt.Errorf("cache: %s: %w", dir, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, tagName)); err == nil {
		if !bytes.HasPrefix(b, []byte(tag[:strings.IndexByte(tag, '\n')+1])) {
			return nil, fmt.Errorf("cache: %s: %s is not a cache directory tag", dir, tagName)
		}
		return &Cache{dir: dir, now: time.Now}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, e := range entries { // an untagged cache of our own is adopted
		if !(e.IsDir() && isShard(e.Name())) && e.Name() != "trim.txt" {
			return nil, fmt.Errorf("cache: %s holds other files (%s) and no %s: not a directory for a cache", dir, e.Name(), tagName)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, tagName), []byte(tag), 0o600); err != nil {
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
	if errors.Is(err, fs.ErrNotExist) { // a trim removed the directory, empty, meanwhile
		if err = os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
			f, err = os.CreateTemp(filepath.Dir(p), ".put-*.tmp")
		}
	}
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
// says when it last ran). It looks only at the cache's own names: entry
// files and temporary files in two-hex-digit directories.
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
	c.eachOwn(func(p string, fi fs.FileInfo) {
		if now.Sub(fi.ModTime()) > maxUnused {
			os.Remove(p)
		}
	})
}

// eachOwn calls f for every file the cache wrote: the entries and the
// temporary files in the two-hex-digit directories, nothing else, and
// removes a two-hex-digit directory left empty.
func (c *Cache) eachOwn(f func(path string, fi fs.FileInfo)) {
	shards, _ := os.ReadDir(c.dir)
	for _, sh := range shards {
		if !sh.IsDir() || !isShard(sh.Name()) {
			continue
		}
		dir := filepath.Join(c.dir, sh.Name())
		files, _ := os.ReadDir(dir)
		for _, e := range files {
			if !e.Type().IsRegular() || !isOwnFile(sh.Name(), e.Name()) {
				continue
			}
			if fi, err := e.Info(); err == nil {
				f(filepath.Join(dir, e.Name()), fi)
			}
		}
		os.Remove(dir) // only when empty
	}
}

// isOwnFile reports whether name, in shard directory sh, is a file the cache
// writes: an entry (sh + 62 hex digits + "-r") or a temporary file.
func isOwnFile(sh, name string) bool {
	if tmp, ok := strings.CutPrefix(name, ".put-"); ok {
		return strings.HasSuffix(tmp, ".tmp")
	}
	key, ok := strings.CutSuffix(name, "-r")
	if !ok || len(key) != sha256.Size*2 || !strings.HasPrefix(key, sh) {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil && strings.ToLower(key) == key
}

// Clean removes every entry (and stray temporary file) and the trim stamp;
// nothing else: files the cache did not write stay where they are.
func (c *Cache) Clean() (removed int, err error) {
	var errs []error
	c.eachOwn(func(p string, _ fs.FileInfo) {
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
		} else if strings.HasSuffix(p, "-r") {
			removed++
		}
	})
	if err := os.Remove(filepath.Join(c.dir, "trim.txt")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
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

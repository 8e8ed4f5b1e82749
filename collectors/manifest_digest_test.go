package collectors

import (
	"os"
	"path/filepath"
	"testing"
)

// TestManifestLoaderDigest: the digest changes with everything Load reads (a
// byte of a manifest, a YAML file added to a walked directory, a file named
// rather than walked, the paths as they will be shown, the purpose
// vocabulary) and with nothing it does not read (a file of another
// extension, a hidden directory), and there is none for a tree Load would
// reject for its paths.
func TestManifestLoaderDigest(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/manifests/valid")); err != nil {
		t.Fatal(err)
	}
	digest := func(l ManifestLoader, paths ...string) string {
		t.Helper()
		d, err := l.Digest(paths...)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := digest(ManifestLoader{}, dir)
	if digest(ManifestLoader{}, dir) != base {
		t.Fatal("two digests of one tree differ")
	}

	write("README.md", "notes\n")
	write(".github/workflows/ci.yaml", "on: push\n")
	if digest(ManifestLoader{}, dir) != base {
		t.Error("a file Load does not read changed the digest")
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".yaml" {
			first = filepath.Join(dir, e.Name())
			break
		}
	}
	seen := map[string]string{base: "base"}
	for _, c := range []struct {
		name string
		d    func() string
	}{
		{"purpose vocabulary", func() string { return digest(ManifestLoader{Purposes: []string{"settlement"}}, dir) }},
		{"path as shown", func() string {
			t.Chdir(filepath.Dir(dir))
			return digest(ManifestLoader{}, filepath.Base(dir)) // relative: findings show other paths
		}},
		{"file named as well", func() string { return digest(ManifestLoader{}, dir, first) }},
		{"walked YAML added", func() string { write("ci.yml", "jobs: {}\n"); return digest(ManifestLoader{}, dir) }},
		{"manifest byte", func() string {
			b, err := os.ReadFile(first)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(first, append(b, '#'), 0o644); err != nil {
				t.Fatal(err)
			}
			return digest(ManifestLoader{}, dir)
		}},
	} {
		d := c.d()
		if prev, dup := seen[d]; dup {
			t.Errorf("%s: same digest as %s", c.name, prev)
		}
		seen[d] = c.name
	}

	for _, bad := range [][]string{{filepath.Join(dir, "missing")}, {}} {
		if d, err := (ManifestLoader{}).Digest(bad...); err == nil {
			t.Errorf("Digest(%q) = %s, want an error (Load reports the path)", bad, d)
		}
	}
}

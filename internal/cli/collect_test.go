package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// normalizeRun replaces what differs between two runs of the same inputs
// (the run id, and the run hash that covers it) in a JSON envelope.
func normalizeRun(t *testing.T, out string) string {
	t.Helper()
	env := decodeEnvelope(t, []byte(out))
	var hash struct {
		Run struct {
			Hash string `json:"hash"`
		} `json:"run"`
	}
	decodeJSON(t, out, &hash)
	if env.Run.ID == "" || hash.Run.Hash == "" {
		t.Fatalf("envelope without run id or hash:\n%s", out)
	}
	out = strings.ReplaceAll(out, env.Run.ID, "RUN-ID")
	return strings.ReplaceAll(out, hash.Run.Hash, "RUN-HASH")
}

// TestCollectPartialsEqualOneRun shards an audit's logs into partials with
// `xborder collect` and merges them with `audit --partials`: the JSON
// envelope is byte for byte that of one run over all the logs, apart from
// the run id and the run hash (the clock is fixed in tests).
func TestCollectPartialsEqualOneRun(t *testing.T) {
	manifests := fixture("kakaopay-alipay", "manifests")
	logs := fixture("kakaopay-alipay", "logs")
	entries, err := os.ReadDir(logs)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 4 {
		t.Fatalf("want at least 4 log files in %s", logs)
	}
	tmp := t.TempDir()
	one := runCLI(t, "audit", "--manifests", manifests, "--logs", logs, "--as-of", "2024-03-08",
		"--db", filepath.Join(tmp, "one.db"), "-f", "json", "--fail-on", "none")
	if one.code != ExitOK {
		t.Fatalf("one run: exit %d\n%s", one.code, one.stderr)
	}

	// Three shards of unequal size, collected in any order; the last one
	// is itself the merge of two partials (a reduce step).
	parts := filepath.Join(tmp, "parts")
	shard := func(name string, files ...string) {
		args := []string{"collect", "--manifests", manifests, "-o", filepath.Join(parts, name)}
		for _, f := range files {
			args = append(args, "--logs", filepath.Join(logs, f))
		}
		if res := runCLI(t, args...); res.code != ExitOK || !strings.Contains(res.stderr, "collected ") {
			t.Fatalf("collect %s: exit %d\n%s", name, res.code, res.stderr)
		}
	}
	shard("b.xbpart", entries[1].Name(), entries[2].Name())
	shard("a.xbpart", entries[0].Name())
	var rest []string
	for _, e := range entries[3:] {
		rest = append(rest, e.Name())
	}
	mid := len(rest) / 2
	shard("../c1.tmp", rest[:mid]...)
	shard("../c2.tmp", rest[mid:]...)
	if res := runCLI(t, "collect", "--manifests", manifests, "--partials", filepath.Join(tmp, "c1.tmp"),
		"--partials", filepath.Join(tmp, "c2.tmp"), "-o", filepath.Join(parts, "c.xbpart")); res.code != ExitOK {
		t.Fatalf("collect --partials: exit %d\n%s", res.code, res.stderr)
	}

	merged := runCLI(t, "audit", "--manifests", manifests, "--partials", parts, "--as-of", "2024-03-08",
		"--db", filepath.Join(tmp, "merged.db"), "-f", "json", "--fail-on", "none")
	if merged.code != ExitOK {
		t.Fatalf("merged run: exit %d\n%s", merged.code, merged.stderr)
	}
	if diff := cmp.Diff(normalizeRun(t, one.stdout), normalizeRun(t, merged.stdout)); diff != "" {
		t.Errorf("audit --partials differs from one run (-one +merged):\n%s", diff)
	}
}

// TestCollectMappedPartial checks the same equality for logs read through
// a mapping: the mapping file is an input of both runs.
func TestCollectMappedPartial(t *testing.T) {
	manifests := fixture("kakaopay-alipay", "manifests")
	dir := fixture("mappings", "envoy")
	tmp := t.TempDir()
	common := []string{"--manifests", manifests, "--log-mapping", filepath.Join(dir, "mapping.yaml")}
	one := runCLI(t, append([]string{"audit", "--logs", filepath.Join(dir, "access.log"), "--as-of", "2024-03-08",
		"--db", filepath.Join(tmp, "one.db"), "-f", "json", "--fail-on", "none"}, common...)...)
	if one.code != ExitOK {
		t.Fatalf("one run: exit %d\n%s", one.code, one.stderr)
	}
	if !strings.Contains(one.stdout, `"kind": "mapping"`) {
		t.Errorf("the mapping is not among the run's inputs:\n%.2000s", one.stdout)
	}
	part := filepath.Join(tmp, "p.xbpart")
	if res := runCLI(t, append([]string{"collect", "--logs", filepath.Join(dir, "access.log"), "-o", part}, common...)...); res.code != ExitOK {
		t.Fatalf("collect: exit %d\n%s", res.code, res.stderr)
	}
	merged := runCLI(t, "audit", "--manifests", manifests, "--partials", part, "--as-of", "2024-03-08",
		"--db", filepath.Join(tmp, "merged.db"), "-f", "json", "--fail-on", "none")
	if merged.code != ExitOK {
		t.Fatalf("merged run: exit %d\n%s", merged.code, merged.stderr)
	}
	if diff := cmp.Diff(normalizeRun(t, one.stdout), normalizeRun(t, merged.stdout)); diff != "" {
		t.Errorf("audit --partials differs from one run (-one +merged):\n%s", diff)
	}
}

// TestCollectErrors covers the usage and input errors of collect and of
// audit --partials: exit 2 and a located message.
func TestCollectErrors(t *testing.T) {
	tmp := t.TempDir()
	kakao := fixture("kakaopay-alipay", "manifests")
	logs := fixture("kakaopay-alipay", "logs")
	part := filepath.Join(tmp, "k.xbpart")
	if res := runCLI(t, "collect", "--manifests", kakao, "--logs", logs, "-o", part); res.code != ExitOK {
		t.Fatalf("collect: exit %d\n%s", res.code, res.stderr)
	}
	junk := filepath.Join(tmp, "junk.xbpart")
	if err := os.WriteFile(junk, []byte("not a partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(tmp, "cut.xbpart")
	if err := os.WriteFile(cut, data[:len(data)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"collect without output", []string{"collect", "--manifests", kakao, "--logs", logs}, []string{"--output FILE is required"}},
		{"collect without input", []string{"collect", "--manifests", kakao, "-o", part}, []string{"nothing to collect"}},
		{"partial of other manifests", []string{"audit", "--manifests", fixture("compliant", "manifests"), "--partials", part},
			[]string{filepath.ToSlash(part) + ": collected against other manifests"}},
		{"log both given and in a partial", []string{"audit", "--manifests", kakao, "--logs", logs, "--partials", part},
			[]string{"given both as a log and inside a partial"}},
		{"same logs in two partials", []string{"audit", "--manifests", kakao, "--partials", part, "--partials", filepath.Join(tmp, "copy.xbpart")},
			[]string{filepath.ToSlash(part) + ": 8 of its logs were also read by " + filepath.ToSlash(filepath.Join(tmp, "copy.xbpart")) +
				" (first: " + filepath.ToSlash(filepath.Join(logs, "transfers-2024-03-01.jsonl")) + "): each log file must be in one partial only"}},
		{"not a partial, truncated", []string{"audit", "--manifests", kakao, "--partials", junk, "--partials", cut},
			[]string{filepath.ToSlash(cut) + ": partial: checksum mismatch", filepath.ToSlash(junk) + ": not an xborder partial"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "same logs in two partials" {
				if err := os.WriteFile(filepath.Join(tmp, "copy.xbpart"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append(tc.args, "--db", filepath.Join(t.TempDir(), "x.db"))
			if tc.args[0] == "collect" {
				args = tc.args
			}
			res := runCLI(t, args...)
			if res.code != ExitError {
				t.Fatalf("exit %d, want %d\n%s", res.code, ExitError, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
		})
	}
}

func decodeJSON(t *testing.T, data string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(data), v); err != nil {
		t.Fatalf("decode: %v\n%.2000s", err, data)
	}
}

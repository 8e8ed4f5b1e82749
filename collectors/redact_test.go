package collectors

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRedactShapes pins which values keep their text and which are
// replaced by a placeholder naming the field.
func TestRedactShapes(t *testing.T) {
	for _, tc := range []struct {
		norm func(string) string
		keep []string
		drop []string
	}{
		{logItemNorm,
			[]string{"account_id", "phone", "KR-RRN", "x.y:z", "nsf_score"},
			[]string{"010-9999-8888", "kim@example.com", "김철수", "u:4f9a01 ", "", "1st", "a b", string(make([]byte, 65))}},
		{logCountryNorm,
			[]string{"SG", "kr"},
			[]string{"SGP", "Singapore", "kim@example.com", "S", "", "1A", "싱가"}},
		{logHostNorm,
			[]string{"api.alipay.example", "s3.ap-northeast-1.amazonaws.com", "10.0.0.1:8443", "[::1]:443", "localhost", "결제.example"},
			[]string{"kim@example.com", "https://x.example/path", "a b.example", "김철수", "...", "", "x\x1by.example"}},
		{logProtectionNorm,
			[]string{"sha256", "hmac-sha256", "aes-256-gcm", "token"},
			[]string{"010-9999-8888", "kim@example.com", "256"}},
		{logTLSNorm,
			[]string{"1.3", "1.2", "none", "sftp", "tls1.2"},
			[]string{"010-9999-8888", "kim@example.com", ".1", "1.2.3.4.5.6.7"}},
	} {
		for _, s := range tc.keep {
			if got := tc.norm(s); got != s && got != logUpperASCII(s) {
				t.Errorf("%q became %q, want it kept", s, got)
			}
		}
		for _, s := range tc.drop {
			if got := tc.norm(s); got == s || got[0] != '(' {
				t.Errorf("%q kept as %q, want a placeholder", s, got)
			}
		}
	}
}

// TestReadLogsRedactsOutOfShapeValues reads a log whose v1 fields carry
// personal data where names belong: the run shows placeholders, never the
// values, while records still match their flow by integration.
func TestReadLogsRedactsOutOfShapeValues(t *testing.T) {
	dir := t.TempDir()
	p := logWriteFile(t, dir, "x.jsonl", []byte(
		`{"ts":"2024-03-01T00:00:00Z","integration":"alipay-plus","host":"kim@example.com","country":"kim@example.com","items":["order_id","010-9999-8888"],"protection":"010-9999-8888","tls":"010-9999-8888"}`+"\n"+
			`{"ts":"2024-03-01T00:00:00Z","host":"lee@example.com","country":"Korea","items":["phone"]}`+"\n"))
	a, err := ReadLogs(context.Background(), logTestManifests(), []string{filepath.Dir(p)}, LogOptions{Known: logTestKnown})
	if err != nil {
		t.Fatal(err)
	}
	obs := a.Observations()
	if len(obs) != 1 {
		t.Fatalf("observations %+v, want 1", obs)
	}
	o := obs[0]
	got := [][]string{o.Items, o.Countries, o.Hosts, o.Protections, o.TLS}
	want := [][]string{{"(redacted: not an item ID)", "order_id"}, {redactedCountry}, {redactedHost}, {redactedProtection}, {redactedTLS}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observation (-want +got):\n%s", diff)
	}
	un := a.Unmatched()
	if len(un) != 1 || un[0].Key != redactedHost || un[0].Host != redactedHost || un[0].Country != redactedCountry {
		t.Errorf("unmatched %+v, want the host and country redacted", un)
	}
}

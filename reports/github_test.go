package reports

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func TestGitHubGolden(t *testing.T) {
	golden(t, "github.golden", render(t, "github", prReport("en")))
	golden(t, "github-ko.golden", render(t, "github", prReport("ko")))
}

// annotation is one parsed workflow command.
type annotation struct {
	Level string
	Props map[string]string
	Msg   string
}

var commandRE = regexp.MustCompile(`^::(error|warning|notice)(?: ([^:]*))?::(.*)$`)

// parseCommands parses workflow commands and undoes the runner's escaping,
// failing on any line that is not one command.
func parseCommands(t *testing.T, out string) []annotation {
	t.Helper()
	unprop := strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",")
	undata := strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n")
	var as []annotation
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := commandRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a workflow command: %q", line)
		}
		a := annotation{Level: m[1], Props: map[string]string{}, Msg: undata.Replace(m[3])}
		if m[2] != "" {
			for _, kv := range strings.Split(m[2], ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("bad property %q in %q", kv, line)
				}
				a.Props[k] = unprop.Replace(v)
			}
		}
		as = append(as, a)
	}
	return as
}

func TestGitHubFileAndLine(t *testing.T) {
	as := parseCommands(t, string(render(t, "github", prReport("en"))))
	type row struct{ Level, File, Line, Col, Title string }
	var got []row
	for _, a := range as {
		got = append(got, row{a.Level, a.Props["file"], a.Props["line"], a.Props["col"], a.Props["title"]})
	}
	want := []row{
		{"error", "services/pay/manifests/alipay.yaml", "21", "5", "PIPA-26-ENTRUSTMENT-MISCLASSIFIED"},
		{"error", "services/pay/manifests/alipay.yaml", "21", "5", "XB-BULK-DAILY"},
		{"notice", "services/pay/manifests/aws.yaml", "14", "5", "PIPA-28-8-CONTRACT-DISCLOSURE"}, // waived
		{"error", "services/pay/manifests/alipay.yaml", "40", "5", "PIPA-29-WEAK-PSEUDONYMIZATION"},
		{"warning", "services/pay/logs/2024-03-01.jsonl", "", "", "XB-DATA-QUALITY"},   // medium, below --fail-on high
		{"notice", "services/pay/manifests/aws.yaml", "3", "5", "XB-MANIFEST-HYGIENE"}, // baselined
		{"warning", "services/pay/xborder-waivers.yaml", "9", "3", "expired waiver"},
		{"notice", "services/pay/xborder-waivers.yaml", "15", "3", "unused waiver"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if !strings.Contains(as[2].Msg, "Waived by privacy-office: policy revision with the AWS Tokyo entry ships on 2024-04-01 (expires 2024-04-30)") {
		t.Errorf("waived annotation does not say who waived it: %q", as[2].Msg)
	}
}

func TestGitHubFailOnNone(t *testing.T) {
	r := prReport("en")
	r.FailOn = audit.SeverityNone
	for _, a := range parseCommands(t, string(render(t, "github", r))) {
		if a.Level == "error" {
			t.Errorf("--fail-on none still writes an error: %+v", a)
		}
	}
}

func TestGitHubEscaping(t *testing.T) {
	out := string(render(t, "github", prHostileReport()))
	if n := strings.Count(out, "\n"); n != 2 {
		t.Fatalf("%d lines, want 2 (a message line break must not start a new command):\n%s", n, out)
	}
	if strings.Contains(out, "\u202E") {
		t.Errorf("raw right-to-left override in the output")
	}
	as := parseCommands(t, out)
	if got, want := as[0].Props["file"], "svc/manifests/we|ird, na:me.yaml"; got != want {
		t.Errorf("file = %q, want %q (',' and ':' escaped and restored)", got, want)
	}
	wantName := strings.NewReplacer("\u202E", "<U+202E>", "\u202C", "<U+202C>").Replace(prHostileName)
	if !strings.Contains(as[0].Msg, "flow "+wantName+" sends everyone") {
		t.Errorf("message does not round-trip: %q", as[0].Msg)
	}
	if !strings.Contains(as[1].Msg, "Waived by @octocat: ") {
		t.Errorf("waived message = %q", as[1].Msg)
	}
}

func TestEscapeProperty(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a,b:c", "a%2Cb%3Ac"},
		{"100%\r\n", "100%25%0D%0A"},
		{"x\u202Ey", "x<U+202E>y"},
	}
	for _, tt := range tests {
		if got := escapeProperty(tt.in); got != tt.want {
			t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := escapeData("a,b:c 100%\n"), "a,b:c 100%25%0A"; got != want {
		t.Errorf("escapeData = %q, want %q", got, want)
	}
}

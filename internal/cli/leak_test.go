package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/reports"
)

// leakCanaries are recognisable personal data the leak fixture plants in
// the logs, the consent ledger and a foreign log format: subject keys,
// consent references, phone numbers, e-mail addresses and a street address,
// in the fields a record may carry them (subject, consent), in fields v1
// does not know (top level and nested, JSON and CSV), in bad lines, and in
// v1 fields that should hold names (items, host, country, protection, tls).
// None may reach the database, a report, the structured log or any output.
var leakCanaries = []string{
	"LEAKCANARY", "010-9999-8888", "01099998888", "kim.canary@example.com", "lee.canary@example.com",
	"서울특별시 누설구", "leakcanary",
}

// leakLogs is the v1 JSONL log: records of the consent-based flow
// (alipay-plus, matched by integration) and of an undeclared SDK, every
// canary placement, and bad lines quoting canaries.
var leakLogs = strings.Join([]string{
	`{"ts":"2024-03-08T09:00:00+09:00","integration":"alipay-plus","host":"api.alipay.example","country":"SG","subject":"u:LEAKCANARY0001","items":["order_id","amount"],"consent":"c-LEAKCANARY0002","records":1,"protection":"hmac-sha256","tls":"1.3","bytes":600,"phone":"010-9999-8888","buyer":{"email":"kim.canary@example.com","addr":["서울특별시 누설구"]}}`,
	`{"ts":"2024-03-08T09:01:00+09:00","integration":"alipay-plus","host":"api.alipay.example","country":"SG","subject":"u:LEAKCANARY0003","items":["order_id","010-9999-8888"],"consent":"c-LEAKCANARY0004","records":1,"protection":"hmac-sha256","tls":"1.3"}`,
	`{"ts":"2024-03-08T09:02:00+09:00","integration":"alipay-plus","host":"kim.canary@example.com","country":"lee.canary@example.com","subject":"u:LEAKCANARY0005","items":["order_id"],"protection":"01099998888","tls":"010-9999-8888"}`,
	`{"ts":"2024-03-08T09:03:00+09:00","integration":"tracking-sdk","host":"collect.tracker.example","country":"US","subject":"u:LEAKCANARY0006","items":["phone","email"],"records":1,"phone":"010-9999-8888"}`,
	`{"ts":"2024-03-08T09:04:00+09:00","host":"kim.canary@example.com","country":"US","subject":"u:LEAKCANARY0007","items":["email"]}`,
	`{"ts":"LEAKCANARY0008","integration":"alipay-plus","subject":"u:LEAKCANARY0009","items":["order_id"]}`,
	`{"ts":"2024-03-08T09:05:00+09:00","subject":"LEAKCANARY0010","items":"010-9999-8888","records":"LEAKCANARY0011"}`,
	`{"ts":"2024-03-08T09:06:00+09:00","integration":"alipay-plus","subject":{"id":"u:LEAKCANARY0012"},"items":["order_id"]}`,
	`not json: kim.canary@example.com 010-9999-8888 u:LEAKCANARY0013`,
	`{"ts":"2024-03-08T09:07:00+09:00","integration":"alipay-plus","subject":"u:LEAKCANARY0014","items":["order_id"],"records":99999999999999999999999}`,
}, "\n") + "\n"

// leakCSV carries canaries in a column v1 does not know and in bad rows.
const leakCSV = "ts,integration,subject,items,consent,buyer_phone,buyer_email\n" +
	"2024-03-08T10:00:00+09:00,alipay-plus,u:LEAKCANARY0020,order_id;amount,c-LEAKCANARY0021,010-9999-8888,kim.canary@example.com\n" +
	"LEAKCANARY0022,alipay-plus,u:LEAKCANARY0023,order_id,,010-9999-8888,kim.canary@example.com\n" +
	"2024-03-08T10:01:00+09:00,alipay-plus,\"u:LEAKCANARY0024\n"

// leakLedger grants, withdraws and garbles consent for canary subjects.
const leakLedger = `{"subject":"u:LEAKCANARY0001","flow":"alipay-overseas-payment","granted":"2024-01-15T10:00:00+09:00","withdrawn":"2024-02-15T10:00:00+09:00","separate":true,"version":"2024-01"}
{"subject":"u:LEAKCANARY0030","flow":"alipay-overseas-payment","granted":"2024-01-15T10:00:00+09:00","withdrawn":null,"separate":true,"version":"2024-01"}
{"subject":"u:LEAKCANARY0031","flow":"alipay-overseas-payment","granted":"LEAKCANARY0032","withdrawn":null,"separate":true,"version":"2024-01"}
{"subject":"kim.canary@example.com","flow":"010-9999-8888","granted":"2024-01-15T10:00:00+09:00"}
`

// leakAccessLog is a foreign (Envoy) access log read through a mapping:
// canaries in the mapped subject, in unmapped fields and in a record whose
// mapped timestamp fails to convert.
const leakAccessLog = `{"start_time":"2024-03-08T01:00:00Z","path":"/pay?phone=010-9999-8888","bytes_received":100,"authority":"api.alipay.example","upstream_cluster":"alipay-plus","upstream_tls_version":"TLSv1.3","x-geo-country":"SG","x-xborder-subject":"u:LEAKCANARY0040","x-xborder-items":"order_id;amount","x-xborder-consent":"c-LEAKCANARY0041","x-xborder-protection":"hmac-sha256","user_agent":"kim.canary@example.com"}
{"start_time":"LEAKCANARY0042","bytes_received":100,"authority":"api.alipay.example","upstream_cluster":"alipay-plus","upstream_tls_version":"TLSv1.3","x-geo-country":"SG","x-xborder-subject":"u:LEAKCANARY0043","x-xborder-items":"order_id","x-xborder-protection":"hmac-sha256"}
{"start_time":"2024-03-08T01:01:00Z","bytes_received":"LEAKCANARY0044","authority":"api.alipay.example","upstream_cluster":"alipay-plus","upstream_tls_version":"TLSv1.3","x-geo-country":"SG","x-xborder-subject":"u:LEAKCANARY0045","x-xborder-items":"order_id;010-9999-8888","x-xborder-protection":"hmac-sha256"}
`

// TestNoPersonalDataLeaks audits the canary fixture twice (v1 logs with a
// consent ledger, then a foreign format through a mapping) into one
// database, renders every run in every format and language through audit
// --report, -o and `xborder report`, lists them with runs, findings, diff
// and verify, and searches everything xborder wrote -- the database and its
// WAL byte by byte, every report (the PDF's text too), standard output and
// the structured log -- for the canaries: none may appear. What the
// evidence does show of the bad lines and the consent join is counts,
// line numbers and redacted subjects.
func TestNoPersonalDataLeaks(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(in, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, f := range []string{"organization.yaml", "recipients.yaml", "alipay-overseas-payment.yaml"} {
		b, err := os.ReadFile(fixture("consent-ledger", "manifests", f))
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join("manifests", f), string(b))
	}
	mapping, err := os.ReadFile(fixture("mappings", "envoy", "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	manifests := filepath.Join(in, "manifests")
	write("logs/transfers.jsonl", leakLogs)
	write("logs/transfers.csv", leakCSV)
	ledger := write("ledger.jsonl", leakLedger)
	write("envoy/access.jsonl", leakAccessLog)
	mappingFile := write("envoy.yaml", string(mapping))
	db := filepath.Join(out, "history.db")
	// A connection held open over the whole test keeps the write-ahead log
	// on disk (the last connection to close would fold it into the
	// database and delete it), so that it is searched as written.
	hold, err := sql.Open("sqlite3", "file:"+db+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	held, err := hold.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	var tables int // a read attaches the connection to the log
	if err := held.QueryRowContext(context.Background(), "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		t.Fatal(err)
	}

	var outputs []string // stdout and stderr of every command
	run := func(wantCodes []int, args ...string) result {
		t.Helper()
		res := runCLI(t, args...)
		outputs = append(outputs, res.stdout, res.stderr)
		for _, c := range wantCodes {
			if res.code == c {
				return res
			}
		}
		t.Fatalf("xborder %s: exit %d, want %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, wantCodes, res.stdout, res.stderr)
		return res
	}
	found := []int{ExitOK, ExitFindings}
	a := run(found, "audit", "--manifests", manifests, "--logs", filepath.Join(in, "logs"), "--consents", ledger,
		"--db", db, "--as-of", "2024-03-08", "--max-bad-ratio", "1", "--report", filepath.Join(out, "a"), "-f", "json", "--log-format", "json")
	b := run(found, "audit", "--manifests", manifests, "--logs", filepath.Join(in, "envoy"), "--log-mapping", mappingFile,
		"--db", db, "--as-of", "2024-03-08", "--max-bad-ratio", "1", "--report", filepath.Join(out, "b"), "--lang", "ko", "-f", "text")
	runA := decodeEnvelope(t, []byte(a.stdout)).Run.ID
	for _, id := range []string{runA, "latest"} {
		for _, format := range reports.Names() {
			for _, lang := range []string{"en", "ko"} {
				run(found, "report", "--db", db, "--run", id, "-f", format, "--lang", lang, "--manifests", manifests,
					"-o", filepath.Join(out, fmt.Sprintf("%s-%s.%s", strings.ReplaceAll(id, ":", "_"), lang, format)))
			}
		}
	}
	run(found, "report", "--db", db, "-f", "text")
	run([]int{ExitOK}, "runs", "--db", db)
	run(found, "findings", "--db", db, "--status", "open")
	run(found, "findings", "--db", db, "--status", "resolved", "-f", "json")
	run([]int{ExitOK, ExitFindings}, "diff", runA, "latest", "--db", db)
	run([]int{ExitOK}, "verify", "--db", db)

	// What the evidence does show: counts, line numbers, reasons in the
	// reader's words, subjects cut to a few characters.
	if !strings.Contains(a.stdout, `"line": 6`) && !strings.Contains(a.stdout, `"line":6`) {
		t.Errorf("the data-quality evidence does not locate the bad line 6 of transfers.jsonl")
	}
	if !regexp.MustCompile(`"subject": ?"u:[^"]{0,2}…"`).MatchString(a.stdout) {
		t.Errorf("no redacted consent example (u:LE…) in the evidence:\n%s", a.stdout)
	}
	if !strings.Contains(a.stdout, "(redacted: not a host name)") || !strings.Contains(b.stdout, "(redacted: not an item ID)") {
		t.Errorf("values out of their field's shape are not shown as redacted")
	}

	// Search every byte xborder wrote.
	searched := 0
	search := func(where string, data []byte) {
		searched++
		lower := bytes.ToLower(data)
		for _, c := range leakCanaries {
			if i := bytes.Index(lower, bytes.ToLower([]byte(c))); i >= 0 {
				t.Errorf("%s contains %q: …%q…", where, c, data[max(0, i-60):min(len(data), i+60)])
			}
		}
	}
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		search(p, data)
		if strings.HasSuffix(p, ".pdf") {
			search(p+" (text)", pdfText(t, p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outputs {
		search(fmt.Sprintf("output %d", i), []byte(o))
	}
	if st, err := os.Stat(db + "-wal"); err != nil || st.Size() == 0 {
		t.Errorf("no write-ahead log was searched: %v", err)
	}
	t.Logf("searched %d files and outputs for %d canaries", searched, len(leakCanaries))
	if searched < 2*len(reports.Names())*2 {
		t.Errorf("only %d files and outputs searched", searched)
	}
}

// pdfText is the text of a PDF as pdftotext reads it (poppler-utils; make
// tools installs it). Without it the test is skipped, except in CI.
func pdfText(t *testing.T, path string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is not installed (make tools)")
		}
		t.Skip("pdftotext is not installed (make tools)")
	}
	cmd := exec.Command(bin, "-enc", "UTF-8", path, "-")
	cmd.WaitDelay = time.Second
	text, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	if len(text) == 0 {
		t.Fatalf("pdftotext %s: no text", path)
	}
	return text
}

// TestLeakFixtureIsRead guards the leak test against passing by reading
// nothing: the canary records are counted, matched and joined.
func TestLeakFixtureIsRead(t *testing.T) {
	var lines int
	for _, l := range strings.Split(strings.TrimSpace(leakLogs), "\n") {
		if json.Valid([]byte(l)) {
			lines++
		}
	}
	if lines != 9 {
		t.Fatalf("%d valid JSON lines in leakLogs, want 9", lines)
	}
}

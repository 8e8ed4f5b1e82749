package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/reports"
)

type verifyFlags struct {
	db     string
	pubkey string
}

func newVerifyCmd(e *env) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [REPORT] [--db FILE] [--pubkey FILE]",
		Short: "Check that a report is unaltered and renders the run stored in the database, or check the whole database",
		Long: `Verify checks a report handed over by the compliance officer, or, without a
REPORT, the whole database.

Without a REPORT it recomputes every stored run's hashes and the hash chain that
links each run to the previous one, and names each problem: a run or finding
row edited, inserted or deleted after it was saved (by run id and finding
fingerprint), runs missing from the chain, rows left by a deleted run, and
SQLite's own integrity check.

For an html or pdf report it reads the report's seal and
  1. recomputes the SHA-256 of the file with the seal's digest and signature
     blanked and compares it with the seal: any changed byte fails;
  2. with --pubkey FILE (ed25519: PEM PKIX as 'openssl pkey -pubout' writes it,
     or the 32 bytes raw, hex or base64), checks the seal's signature: an edited
     report cannot be re-signed without the private key;
  3. loads the run the seal names from --db, recomputes the SHA-256 of its
     canonical JSON from the stored rows, and compares it with the hash the
     database recorded and the hash the report states.
For a json report it loads the run the report names and compares the report
with the stored run value by value (findings, summary, inputs, hashes), after
the same hash check.

Exit codes: 0 verified; 1 the report or the database does not verify; 2 usage
error, unreadable file, or a file that is not an xborder report.`,
		Example: `  xborder verify out/report.pdf --db out/xborder.db
  xborder verify report.html --db audit.db --pubkey signer.pub
  xborder verify --db audit.db`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// --db from XBORDER_DB or xborder.yaml, like runs, findings and report.
			if _, err := applyConfig(cmd, e); err != nil {
				return err
			}
			if len(args) == 0 {
				if f.pubkey != "" {
					return usageError("--pubkey: checks a report's signature; give the REPORT")
				}
				return runVerifyDB(cmd, e, f.db)
			}
			return runVerify(cmd, e, &f, args[0])
		},
	}
	cmd.Flags().StringVar(&f.db, "db", "xborder.db", "SQLite database `FILE` holding the run")
	cmd.Flags().StringVar(&f.pubkey, "pubkey", "", "ed25519 public key `FILE` the report must be signed with")
	cmd.Flags().String("config", "", "config `FILE` (default xborder.yaml when present)")
	return cmd
}

// verification collects what verify checked, for one report.
type verification struct {
	w      io.Writer
	failed bool
}

func (v *verification) ok(what, detail string) { fmt.Fprintf(v.w, "  ok    %-10s %s\n", what, detail) }
func (v *verification) fail(what, detail string) {
	v.failed = true
	fmt.Fprintf(v.w, "  FAIL  %-10s %s\n", what, detail)
}
func (v *verification) note(what, detail string) {
	fmt.Fprintf(v.w, "  -     %-10s %s\n", what, detail)
}

func runVerify(cmd *cobra.Command, e *env, f *verifyFlags, path string) error {
	ctx := cmd.Context()
	data, err := os.ReadFile(path)
	if err != nil {
		return withCode(ExitError, err)
	}
	var pub []byte
	if f.pubkey != "" {
		raw, err := os.ReadFile(f.pubkey)
		if err != nil {
			return usageError("--pubkey: %v", err)
		}
		k, err := reports.ParsePublicKey(raw)
		if err != nil {
			return usageError("--pubkey: %s: %v", f.pubkey, err)
		}
		pub = k
	}
	st, err := openExisting(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	v := &verification{w: e.stdout}
	var runID, runHash string
	var jsonReport map[string]any
	if isJSONReport(data) {
		if pub != nil {
			return usageError("--pubkey: json reports carry no signature; verify the html or pdf report")
		}
		jsonReport, runID, runHash, err = readJSONReport(data)
		if err != nil {
			return withCode(ExitError, fmt.Errorf("%s: %w", path, err))
		}
		fmt.Fprintf(e.stdout, "%s: json report of run %s\n", path, runID)
	} else {
		seal, err := reports.ReadSeal(data)
		switch {
		case errors.Is(err, reports.ErrNoSeal):
			return withCode(ExitError, fmt.Errorf("%s: %w", path, err))
		case seal == nil:
			return withCode(ExitError, fmt.Errorf("%s: %w", path, err))
		}
		runID, runHash = seal.RunID, seal.RunHash
		fmt.Fprintf(e.stdout, "%s: report of run %s\n", path, runID)
		if err != nil {
			v.fail("content", err.Error())
		} else {
			v.ok("content", "sha256 "+seal.Content+" matches the seal")
		}
		switch {
		case pub != nil:
			if err := seal.VerifySignature(pub); err != nil {
				v.fail("signature", err.Error())
			} else {
				v.ok("signature", "ed25519, key "+seal.Signer)
			}
		case seal.Signed():
			v.note("signature", "signed with key "+seal.Signer+"; not checked (give --pubkey)")
		default:
			v.note("signature", "not signed")
		}
	}

	run, err := st.Run(ctx, runID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.fail("run", fmt.Sprintf("%s holds no run %s", f.db, runID))
	case err != nil:
		return err
	default:
		recomputed := store.RunHash(run)
		switch {
		case recomputed != run.Hash:
			v.fail("database", fmt.Sprintf("run %s: stored hash %s, recomputed from the stored rows %s: the database was edited", runID, run.Hash, recomputed))
		case runHash != run.Hash:
			v.fail("run hash", fmt.Sprintf("the report states %s, the database %s", orNone(runHash), run.Hash))
		default:
			v.ok("run hash", run.Hash+" = recomputed from "+f.db)
		}
		if jsonReport != nil {
			compareJSONReport(v, jsonReport, run)
		}
	}
	if v.failed {
		fmt.Fprintln(e.stdout, "NOT VERIFIED")
		return withCode(ExitFindings, nil)
	}
	fmt.Fprintln(e.stdout, "verified")
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// isJSONReport tells a JSON envelope from the sealed formats.
func isJSONReport(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && bytes.Contains(b, []byte(`"schemaVersion"`))
}

func readJSONReport(b []byte) (doc map[string]any, id, hash string, err error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, "", "", fmt.Errorf("not a json report: %w", err)
	}
	run, _ := doc["run"].(map[string]any)
	id, _ = run["id"].(string)
	hash, _ = run["hash"].(string)
	if id == "" {
		return nil, "", "", errors.New("not an xborder json report: no run.id")
	}
	return doc, id, hash, nil
}

// compareJSONReport renders the stored run as a JSON report and compares it
// with the one handed over, value by value; numbers compare by value so
// that 1e6 and 1000000 are the same.
func compareJSONReport(v *verification, doc map[string]any, run *audit.Run) {
	var b bytes.Buffer
	if err := reports.JSON(&b, &reports.Report{Run: run}); err != nil {
		v.fail("content", err.Error())
		return
	}
	want, _, _, err := readJSONReport(b.Bytes())
	if err != nil {
		v.fail("content", err.Error())
		return
	}
	if where := firstDifference("", want, doc); where != "" {
		v.fail("content", "the report differs from the stored run at "+where)
		return
	}
	findings, _ := want["findings"].([]any)
	v.ok("content", fmt.Sprintf("the report's %d findings, summary and inputs are the stored run's", len(findings)))
}

// firstDifference returns the JSON path of the first difference between
// two decoded documents, "" when they are equal.
func firstDifference(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return orRoot(path)
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if d := firstDifference(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return orRoot(path)
		}
		for i := range x {
			if d := firstDifference(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return describeFinding(d, x[i])
			}
		}
		return ""
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return orRoot(path)
		}
		fx, _, ex := big.ParseFloat(string(x), 10, 256, big.ToNearestEven)
		fy, _, ey := big.ParseFloat(string(y), 10, 256, big.ToNearestEven)
		if ex != nil || ey != nil || fx.Cmp(fy) != 0 {
			return orRoot(path)
		}
		return ""
	}
	if a != b {
		return orRoot(path)
	}
	return ""
}

// describeFinding names the finding a difference is in, by its id.
func describeFinding(where string, elem any) string {
	if m, ok := elem.(map[string]any); ok {
		if id, ok := m["id"].(string); ok && m["rule"] != nil {
			return where + " (finding " + id + ")"
		}
	}
	return where
}

func orRoot(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Issue 7: the consent ledger join. 10 M ledger entries joined with 10 M
// transfer records of one consent-based flow must stay within 2 GiB of
// RSS; the audit without the ledger, on the same records, is the baseline
// the join's cost is read against.

// consentTargetRSS is the memory bound of the join.
const consentTargetRSS = 2 << 30

// consents is the size of the join: ledger entries, and transfer records
// (-consents N; 1 M with -quick).
var consents = 10_000_000

// consentJoinRow generates (once) a ledger of n entries and n transfer
// records, audits them with and without --consents, and reports records/s
// and peak RSS.
func consentJoinRow(ctx context.Context, dir, bin string, n int) (row, error) {
	base := filepath.Join(dir, fmt.Sprintf("consents-%d", n))
	ledger, logs, manifests := filepath.Join(base, "ledger.jsonl"), filepath.Join(base, "transfers.jsonl"), filepath.Join(base, "manifests")
	if _, err := os.Stat(filepath.Join(base, "done")); err != nil {
		fmt.Fprintf(os.Stderr, "generating %s ledger entries and %s records into %s\n", human(n), human(n), base)
		if err := writeConsentBench(base, n); err != nil {
			return row{}, err
		}
	}
	audit := func(extra ...string) (measurement, error) {
		db := filepath.Join(base, "bench.db")
		for _, f := range []string{db, db + "-wal", db + "-shm"} {
			os.Remove(f)
		}
		args := append([]string{"audit", "--manifests", manifests, "--logs", logs, "--db", db, "--as-of", "2024-03-01",
			"-f", "json", "-o", filepath.Join(base, "report.json"), "--fail-on", "none", "--log-format", "json"}, extra...)
		m, err := measure(ctx, "", bin, args...)
		if err != nil {
			return m, fmt.Errorf("consent audit: %w\n%s", err, m.out)
		}
		return m, nil
	}
	without, err := audit()
	if err != nil {
		return row{}, err
	}
	with, err := audit("--consents", ledger)
	if err != nil {
		return row{}, err
	}
	rps := float64(n) / with.wall.Seconds()
	return row{
		name:     fmt.Sprintf("consent join, %s ledger entries × %s records", human(n), human(n)),
		figure:   fmt.Sprintf("%s rec/s, %.1fs, RSS %s", human(int(rps)), with.wall.Seconds(), mib(with.maxRSS)),
		baseline: fmt.Sprintf("no ledger %.1fs, RSS %s", without.wall.Seconds(), mib(without.maxRSS)),
		ratio:    fmt.Sprintf("%.1f× the time, %s of the RSS target", with.wall.Seconds()/without.wall.Seconds(), percent(float64(with.maxRSS)/consentTargetRSS)),
		target:   "RSS ≤ 2 GiB",
		verdict:  verdict(with.maxRSS <= consentTargetRSS),
	}, nil
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" }

// writeConsentBench writes the manifests of one consent-based flow, a
// ledger of n subjects (one grant each; every 10th withdrawn at noon) and
// n transfer records on 2024-03-01 whose subjects are drawn from 1.1 n
// keys, so that about 9% were never granted and 10% withdrew. Deterministic:
// a fixed LCG, no clock.
func writeConsentBench(dir string, n int) error {
	if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifests", "manifests.yaml"), []byte(consentBenchManifests), 0o644); err != nil {
		return err
	}
	err := writeLines(filepath.Join(dir, "ledger.jsonl"), func(w *bufio.Writer) {
		for i := range n {
			withdrawn := "null"
			if i%10 == 0 {
				withdrawn = `"2024-03-01T12:00:00+09:00"`
			}
			fmt.Fprintf(w, `{"subject":"u:%08x","flow":"pay","granted":"2024-01-%02dT09:00:00+09:00","withdrawn":%s,"separate":true,"version":"2024-01"}`+"\n",
				i, 1+i%28, withdrawn)
		}
	})
	if err != nil {
		return err
	}
	err = writeLines(filepath.Join(dir, "transfers.jsonl"), func(w *bufio.Writer) {
		x := uint64(1)
		pool := uint64(n + n/10)
		for i := range n {
			x = x*6364136223846793005 + 1442695040888963407
			secs := i * 86400 / n
			fmt.Fprintf(w, `{"ts":"2024-03-01T%02d:%02d:%02d+09:00","integration":"pay","country":"SG","subject":"u:%08x","items":["order_id","amount","currency"],"consent":"c-2024-01","protection":"hmac-sha256","tls":"1.3","bytes":512}`+"\n",
				secs/3600, secs/60%60, secs%60, (x>>11)%pool)
		}
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "done"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

func writeLines(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

const consentBenchManifests = `apiVersion: xborder/v1
kind: Organization
metadata: {name: benchpay}
spec:
  legalName: BenchPay Corp.
  country: KR
  subjects: {total: 20000000, active: 15000000}
  privacyPolicy: {url: https://benchpay.example/privacy, updated: 2024-02-01, discloses: [pay]}
---
apiVersion: xborder/v1
kind: Recipient
metadata: {name: alipay}
spec:
  legalName: Alipay Singapore E-Commerce Pte. Ltd.
  country: SG
  contact: privacy@alipay.example
  ownPurposes: [settlement]
---
apiVersion: xborder/v1
kind: DataFlow
metadata: {name: pay, owner: payments, reviewed: 2024-02-01}
spec:
  recipient: alipay
  integration: pay
  countries: [SG]
  type: provision
  purposes: [settlement]
  items: [order_id, amount, currency]
  subjects: transacting_only
  schedule: realtime
  legalBasis: {overseas: consent, provision: consent, credit: none, transactions: none}
  consent:
    separate: true
    separateProvision: true
    mandatory: false
    notice: [items, country, datetime_method, recipient, purpose, retention, purpose_retention, refusal]
    purposeText: "Overseas payment settlement"
    version: "2024-01"
  contract: {signed: 2023-11-01, clauses: [safety, grievance, protection, purpose_limit, reentrust_limit, supervision, liability]}
  retention: P5Y
  recipientRetention: P5Y
  safeguards:
    transport: tls1.3
    identifiers: {method: hmac-sha256, keyed: true, salted: false, keyHolder: controller}
  origin: [KR]
`

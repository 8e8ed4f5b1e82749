package collectors

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// logBenchFlows are the flows of the generated logs.
func logBenchManifests() *audit.Manifests {
	return &audit.Manifests{Flows: []audit.DataFlow{
		{Object: audit.Object{Name: "alipay-nsf"}, Integration: "alipay-plus", Endpoints: []string{"api.alipay.example"}},
		{Object: audit.Object{Name: "aws-tokyo"}, Integration: "s3-backup", Endpoints: []string{"s3.ap-northeast-1.example"}},
		{Object: audit.Object{Name: "paypal-payout"}, Integration: "paypal", Endpoints: []string{"api.paypal.example"}},
		{Object: audit.Object{Name: "toss-settle"}, Integration: "toss", Endpoints: []string{"api.toss.example"}},
	}}
}

var logBenchItems = [][]string{
	{"account_id", "phone", "email", "balance", "order_id", "amount", "currency", "device_id"},
	{"order_id", "amount", "currency", "name", "phone", "address", "card_number", "merchant_id", "location"},
	{"customer_id", "email", "order_id", "amount", "ip_address", "cookie_id", "name", "phone", "currency", "device_id"},
}

// logGenJSONL writes n deterministic, realistic v1 records (about 200
// bytes each, 8 to 10 items, a few thousand subjects, four flows over two
// days, some matched by host, some unmatched) and returns the bytes.
func logGenJSONL(n int, seed uint64) []byte {
	logGenMu.Lock()
	defer logGenMu.Unlock()
	k := [2]uint64{uint64(n), seed}
	if b, ok := logGenCache[k]; ok {
		return b
	}
	b := logGenJSONLUncached(n, seed)
	logGenCache[k] = b
	return b
}

var (
	logGenMu    sync.Mutex
	logGenCache = map[[2]uint64][]byte{}
)

func logGenJSONLUncached(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	type dest struct {
		integ, host, country, prot, tls string
		subjects                        int // distinct subjects it reaches
	}
	dests := []dest{
		{"alipay-plus", "api.alipay.example", "SG", "sha256", "1.2", 3000},
		{"s3-backup", "s3.ap-northeast-1.example", "JP", "aes-256-gcm", "1.3", 500},
		{"paypal", "api.paypal.example", "US", "token", "1.3", 1400},
		{"toss", "api.toss.example", "KR", "hmac-sha256", "1.2", 200},
		{"", "api.alipay.example", "CN", "sha256", "1.2", 3000},           // matched by host
		{"shadow-sync", "dl.unknown.example", "CN", "plain", "none", 100}, // unmatched
	}
	var b bytes.Buffer
	b.Grow(n * 260)
	for i := range n {
		d := dests[rng.IntN(len(dests)*4)%len(dests)]
		if rng.IntN(50) == 0 {
			d = dests[5]
		}
		items := logBenchItems[rng.IntN(len(logBenchItems))]
		sec := 86400 * 2 * i / n
		fmt.Fprintf(&b, `{"ts":"2024-03-%02dT%02d:%02d:%02d+09:00",`, 1+sec/86400, sec/3600%24, sec/60%60, sec%60)
		if d.integ != "" {
			fmt.Fprintf(&b, `"integration":%q,`, d.integ)
		} else {
			fmt.Fprintf(&b, `"host":%q,`, d.host)
		}
		fmt.Fprintf(&b, `"country":%q,"subject":"u:%05x","items":["%s"],`,
			d.country, rng.IntN(d.subjects), strings.Join(items, `","`))
		if rng.IntN(10) > 0 {
			fmt.Fprintf(&b, `"consent":"c:%d",`, rng.IntN(100000))
		}
		fmt.Fprintf(&b, `"tls":%q,"bytes":%d}`+"\n", d.tls, 200+rng.IntN(2000))
	}
	return b.Bytes()
}

func logBenchFile(b *testing.B, name string, data []byte) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), name)
	if strings.HasSuffix(name, ".gz") {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

func benchReadLogs(b *testing.B, name string, data []byte, n int, opt LogOptions) {
	p := logBenchFile(b, name, data)
	m := logBenchManifests()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	start, cpu := time.Now(), logCPUTime()
	for b.Loop() {
		a, err := ReadLogs(context.Background(), m, []string{p}, opt)
		if err != nil {
			b.Fatal(err)
		}
		if got := a.Records(); got != int64(n) {
			b.Fatalf("records = %d, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(n)*float64(b.N)/(logCPUTime()-cpu).Seconds(), "records/cpu-s")
}

const logBenchRecords = 500_000

// BenchmarkReadLogsJSONL is the end-to-end figure: read, digest, parse,
// match, aggregate, merge, on every core.
func BenchmarkReadLogsJSONL(b *testing.B) {
	data := logGenJSONL(logBenchRecords, 1)
	benchReadLogs(b, "day.jsonl", data, logBenchRecords, LogOptions{})
}

// BenchmarkReadLogsJSONLOneWorker is the same on one parser.
func BenchmarkReadLogsJSONLOneWorker(b *testing.B) {
	data := logGenJSONL(logBenchRecords, 1)
	benchReadLogs(b, "day.jsonl", data, logBenchRecords, LogOptions{Workers: 1})
}

func BenchmarkReadLogsJSONLGzip(b *testing.B) {
	data := logGenJSONL(logBenchRecords, 1)
	benchReadLogs(b, "day.jsonl.gz", data, logBenchRecords, LogOptions{})
}

func BenchmarkReadLogsCSV(b *testing.B) {
	data := logJSONLToCSV(b, logGenJSONL(logBenchRecords, 1))
	benchReadLogs(b, "day.csv", data, logBenchRecords, LogOptions{})
}

// BenchmarkParseJSONL is parsing and aggregation alone on one core: no
// I/O, no digest, no goroutines.
func BenchmarkParseJSONL(b *testing.B) {
	data := logGenJSONL(logBenchRecords, 1)
	match := newLogMatcher(logBenchManifests())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start, cpu := time.Now(), logCPUTime()
	for b.Loop() {
		acc := newLogAcc(match, DefaultExactSubjects, 1)
		p := newLogJSON(newLogSyms(match))
		var r logRecord
		acc.jsonChunk(p, &r, &acc.files[0], logChunk{data: data, line: 1})
		if acc.files[0].records != logBenchRecords {
			b.Fatalf("records = %d", acc.files[0].records)
		}
	}
	b.ReportMetric(float64(logBenchRecords)*float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(logBenchRecords)*float64(b.N)/(logCPUTime()-cpu).Seconds(), "records/cpu-s")
}

// logJSONLToCSV converts generated JSONL to the equivalent CSV.
func logJSONLToCSV(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	out.WriteString("ts,integration,host,country,subject,items,consent,records,protection,tls,bytes\n")
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := jsonUnmarshalNumber(sc.Bytes(), &rec); err != nil {
			tb.Fatal(err)
		}
		var items []string
		for _, it := range rec["items"].([]any) {
			items = append(items, it.(string))
		}
		str := func(k string) string {
			if v, ok := rec[k]; ok && v != nil {
				return fmt.Sprint(v)
			}
			return ""
		}
		fmt.Fprintf(&out, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", str("ts"), str("integration"), str("host"),
			str("country"), str("subject"), strings.Join(items, ";"), str("consent"), str("records"),
			str("protection"), str("tls"), str("bytes"))
	}
	return out.Bytes()
}

// logCPUTime is the CPU time of the process so far: on a shared machine
// records per CPU-second is steadier than records per wall-clock second.
func logCPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

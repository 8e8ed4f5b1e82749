package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHugeLineThroughCLI feeds the real binary a transfer log with a
// single 1 GiB line through a named pipe (nothing touches the disk): the
// audit counts it as one bad line at line 1, reads the good lines around
// it, stores the run, and its peak resident memory (getrusage ru_maxrss)
// stays far below the line's size.
func TestHugeLineThroughCLI(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(logs, "huge.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	good := `{"ts":"2024-03-08T09:00:00+09:00","integration":"alipay-plus","host":"api.alipay.example","country":"SG","subject":"u:1","items":["order_id","amount"],"consent":"c-1","protection":"hmac-sha256","tls":"1.3"}` + "\n"
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			wrote <- err
			return
		}
		defer f.Close()
		if _, err := io.WriteString(f, `{"ts":"2024-03-08T09:00:00+09:00","items":["x"],"pad":"`); err != nil {
			wrote <- err
			return
		}
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 1 << 10 {
			if _, err := f.Write(chunk); err != nil {
				wrote <- err
				return
			}
		}
		_, err = io.WriteString(f, "\"}\n"+strings.Repeat(good, 3))
		wrote <- err
	}()
	// A pipe is read when named (a directory walk skips what is not a
	// regular file).
	p := start(t, dir, "audit", "--manifests", fixture("consent-ledger", "manifests"), "--logs", fifo,
		"--db", "x.db", "--as-of", "2024-03-08", "--max-bad-ratio", "0.5", "-f", "json", "-o", "out.json")
	code := p.wait(t, 3*time.Minute)
	select {
	case err := <-wrote:
		if err != nil {
			t.Errorf("writing the pipe: %v", err)
		}
	case <-time.After(10 * time.Second):
		// xborder never opened the pipe: release the writer, then fail.
		if r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			r.Close()
		}
		t.Fatalf("xborder did not read the pipe (exit %d)\n%s", code, p.stderr.String())
	}
	if code != ExitOK && code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	maxRSS := p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("1 GiB line: peak resident memory %d MiB", maxRSS>>20)
	if maxRSS > 400<<20 {
		t.Errorf("peak resident memory %d MiB for a 1 GiB line", maxRSS>>20)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"line": 1`, `"reason": "line too long"`, `"rule": "XB-DATA-QUALITY"`, `"records": 3`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %s", want)
		}
	}
}

// TestHostileManifestTreeAsNobody runs the binary as an unprivileged user
// (root reads any file whatever its mode, so chmod 000 proves nothing as
// root) over a manifest tree with an unreadable file and an unreadable
// directory: exit 2, each problem located at its path, nothing else
// reported as wrong.
func TestHostileManifestTreeAsNobody(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	tree := filepath.Join(dir, "manifests")
	for _, f := range []string{"organization.yaml", "recipients.yaml", "alipay-overseas-payment.yaml"} {
		b, err := os.ReadFile(fixture("consent-ledger", "manifests", f))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(tree, f), string(b))
	}
	writeTestFile(t, filepath.Join(tree, "secret.yaml"), "apiVersion: xborder/v1\n")
	writeTestFile(t, filepath.Join(tree, "locked", "inner.yaml"), "apiVersion: xborder/v1\n")
	if err := os.Chmod(filepath.Join(tree, "secret.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(tree, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(tree, "locked"), 0o755) })
	cmd := exec.Command(bin, "check", "manifests")
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		// The unprivileged user must reach the binary and the tree.
		for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	var xe *exec.ExitError
	if !errorAs(err, &xe) || xe.ExitCode() != ExitError {
		t.Fatalf("exit %v, want %d\n%s", err, ExitError, out)
	}
	want := "manifests/locked: cannot read directory: permission denied\n" +
		"manifests/secret.yaml: cannot read file: permission denied\n" +
		"xborder: 2 input error(s)\n"
	if string(out) != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func errorAs(err error, target **exec.ExitError) bool {
	xe, ok := err.(*exec.ExitError)
	if ok {
		*target = xe
	}
	return ok
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestThousandsOfLogFilesThroughCLI audits a directory of 2,000 tiny log
// files (collectors' TestHostileLogDirectory reads 5,000) (twice: the second run skips every file as already ingested)
// in bounded memory.
func TestThousandsOfLogFilesThroughCLI(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	for i := range 2000 {
		writeTestFile(t, filepath.Join(dir, "logs", fmt.Sprintf("d%02d", i%50), fmt.Sprintf("%05d.jsonl", i)),
			fmt.Sprintf(`{"ts":"2024-03-08T09:00:00+09:00","integration":"alipay-plus","subject":"u:%d","items":["order_id"],"consent":"c"}`+"\n", i))
	}
	for i, want := range []string{`"records": 2000`, `"records": 0`} {
		p := start(t, dir, "audit", "--manifests", fixture("consent-ledger", "manifests"), "--logs", "logs",
			"--db", "x.db", "--as-of", "2024-03-08", "-f", "json", "-o", "out.json")
		if code := p.wait(t, 3*time.Minute); code != ExitOK && code != ExitFindings {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, p.stderr.String())
		}
		rss := p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		t.Logf("run %d: peak resident memory %d MiB", i+1, rss>>20)
		if rss > 400<<20 {
			t.Errorf("run %d: peak resident memory %d MiB", i+1, rss>>20)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "out.json"))
		if !strings.Contains(string(b), want) {
			t.Errorf("run %d: the report lacks %s", i+1, want)
		}
	}
}

package cli

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func BenchmarkZZCheck(b *testing.B) {
	for b.Loop() {
		code := run(context.Background(), []string{"check", "/tmp/m500", "--as-of", "2024-03-08", "-f", "json", "-o", "/dev/null"}, &env{
			stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
			now: time.Now, getenv: func(string) string { return "" }, isTerminal: func(io.Writer) bool { return false },
		})
		if code != 1 {
			b.Fatal(code)
		}
	}
}

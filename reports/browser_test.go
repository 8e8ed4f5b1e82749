package reports

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// chromiumFlags run a headless Chromium that touches nothing outside the
// test: no network services, no first-run, no sync, a fresh profile.
func chromiumFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
}

// consoleError matches what Chromium logs for a page error or a console
// message at error level, and a blocked or failed load.
var consoleError = regexp.MustCompile(`(?i)(Uncaught|CONSOLE[:(]\d+.*(error|refused)|net::ERR_|Failed to load resource|Refused to)`)

func TestConsoleErrorPattern(t *testing.T) {
	for line, want := range map[string]bool{
		`[1:1:1122/004026.843857:INFO:CONSOLE:1] "Uncaught ReferenceError: f is not defined", source: file:///r.html (1)`: true,
		`[1:1:1122/004026.843857:INFO:CONSOLE(3)] "console.error: boom", source: file:///r.html (3)`:                      true,
		`[1:1:1122/0040:ERROR:network] net::ERR_NAME_NOT_RESOLVED`:                                                        true,
		`[1:1:1122/0040:WARNING:ui/base/idle/idle_linux.cc:111] None of the known D-Bus ScreenSaver services`:             false,
		`1953 bytes written to file /tmp/shot.png`:                                                                        false,
	} {
		if got := consoleError.MatchString(line); got != want {
			t.Errorf("consoleError.MatchString(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestHTMLInChromium renders the report in headless Chromium to a PNG:
// no console error, no request for anything (the page is self-contained),
// and a page that is not blank: charts, badges and text leave many
// non-white pixels.
func TestHTMLInChromium(t *testing.T) {
	requireTool(t, "chromium")
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			page := writeTemp(t, "report.html", render(t, "html", hostileReport()))
			shot := filepath.Join(t.TempDir(), "shot.png")
			args := append(chromiumFlags(t), "--enable-logging=stderr", "--v=0",
				"--screenshot="+shot, "--window-size=1280,2000", "file://"+page)
			_, stderr := runTool(t, 2*time.Minute, "chromium", args...)
			for _, line := range bytes.Split(stderr, []byte("\n")) {
				if consoleError.Match(line) {
					t.Errorf("chromium: %s", line)
				}
			}
			f, err := os.Open(shot)
			if err != nil {
				t.Fatalf("no screenshot: %v\n%s", err, stderr)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			inked, total := inkedPixels(img)
			if share := float64(inked) / float64(total); share < 0.03 {
				t.Errorf("only %.2f%% of the page is not white: blank render?", 100*share)
			}
		})
	}
}

// TestHTMLDumpDOM loads the page and reads back the DOM Chromium built: the
// hostile strings are text, no script element exists.
func TestHTMLDumpDOM(t *testing.T) {
	requireTool(t, "chromium")
	page := writeTemp(t, "report.html", render(t, "html", hostileReport()))
	out, _ := runTool(t, 2*time.Minute, "chromium", append(chromiumFlags(t), "--dump-dom", "file://"+page)...)
	if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
		t.Errorf("the DOM holds a script element")
	}
	for _, want := range []string{`id="findings"`, `id="volumes"`, "<svg", "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("dumped DOM lacks %q", want)
		}
	}
}

// inkedPixels counts the pixels that are not (near) white.
func inkedPixels(img image.Image) (inked, total int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xF000 || g < 0xF000 || bl < 0xF000 {
				inked++
			}
			total++
		}
	}
	return inked, total
}

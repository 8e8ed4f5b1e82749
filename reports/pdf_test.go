package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPDFGolden pins the PDF bytes of the test run: the same run must give
// the same file on any machine. The golden holds the bytes' SHA-256 (a
// diff of a PDF says nothing); run with -update after an intended change
// and look at the pages (pdftoppm -png) before committing.
func TestPDFGolden(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			b := render(t, "pdf", testReport(lang))
			again := render(t, "pdf", testReport(lang))
			if !bytes.Equal(b, again) {
				t.Fatalf("two renderings of the same run differ")
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
				t.Errorf("not a complete PDF: starts %q, ends %q", b[:8], b[len(b)-8:])
			}
			sum := sha256.Sum256(b)
			golden(t, "pdf-"+lang+".sha256", []byte(hex.EncodeToString(sum[:])+"\n"))
		})
	}
}

// TestPDFProperties checks what a reader shows before opening a page: the
// document date is the run's, the title is localised, the seal is in the
// Keywords and the font subset is small (the 4.7 MB TrueType is not
// embedded whole).
func TestPDFProperties(t *testing.T) {
	b := render(t, "pdf", testReport("ko"))
	if !bytes.Contains(b, []byte("/CreationDate (D:20240302010007)")) {
		t.Errorf("creation date is not the run's finish time")
	}
	if !regexp.MustCompile(`/Keywords \(` + SealMagic + ` run=20240302T010000Z-3f9a hash=[0-9a-f]{64} content=[0-9a-f]{64} signer=- sig=-\)`).Match(b) {
		t.Errorf("no seal in the Keywords")
	}
	if len(b) > 1<<20 {
		t.Errorf("PDF is %d bytes: the font is not subset", len(b))
	}
	for _, run := range []string{"/Lang (ko)", "/Outlines"} {
		if !bytes.Contains(b, []byte(run)) {
			t.Errorf("PDF lacks %s", run)
		}
	}
}

// TestPDFWithPoppler reads the Korean and English reports back with
// poppler and checks qpdf finds the structure sound.
func TestPDFWithPoppler(t *testing.T) {
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"ko", []string{
			"개인정보 국외이전 점검 보고서", // the title
			"목차",           // the table of contents
			"PIPA 28-8(1)", // a finding's article
			"목적에 필요한 정보주체만 전송하고",        // a finding's remediation
			"제공을 위탁으로 잘못 분류",            // a finding's title
			"과징금 상한", "22,500,000,000원", // the surcharge exposure ceiling
			"alipay-nsf", "Alipay Singapore E-Commerce Pte. Ltd.",
			"일별 전송량", "정보주체 모수 25,000,000", "대량 기준 1,000,000",
			"1 / 7쪽",
		}},
		{"en", []string{
			"Cross-border transfer audit", "Contents", "PIPA 28-8(1)3",
			"Send only the subjects the purpose needs",
			"Surcharge exposure ceiling", "KRW 22,500,000,000",
			"Transfer map", "undeclared: api.analytics.example",
		}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			path := writeTemp(t, "report.pdf", render(t, "pdf", testReport(tt.lang)))
			out, _ := runTool(t, time.Minute, "pdftotext", "-layout", path, "-")
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, want := range tt.want {
				if !strings.Contains(text, strings.Join(strings.Fields(want), " ")) {
					t.Errorf("pdftotext output lacks %q", want)
				}
			}
			fonts, _ := runTool(t, time.Minute, "pdffonts", path)
			embedded := 0
			for _, line := range strings.Split(string(fonts), "\n") {
				f := strings.Fields(line)
				if len(f) >= 6 && strings.HasPrefix(f[0], "utf8nanum") {
					if f[len(f)-5] != "yes" {
						t.Errorf("font %s is not embedded:\n%s", f[0], fonts)
					}
					embedded++
				}
			}
			if embedded != 2 {
				t.Errorf("pdffonts lists %d NanumGothic fonts, want regular and bold:\n%s", embedded, fonts)
			}
			check, _ := runTool(t, time.Minute, "qpdf", "--check", path)
			if !bytes.Contains(check, []byte("No syntax or stream encoding errors")) {
				t.Errorf("qpdf --check:\n%s", check)
			}
		})
	}
}

// TestPDFHostile renders hostile names: the PDF has no markup to escape,
// but the text must come out as written, and the structure stay sound.
func TestPDFHostile(t *testing.T) {
	path := writeTemp(t, "hostile.pdf", render(t, "pdf", hostileReport()))
	out, _ := runTool(t, time.Minute, "pdftotext", path, "-")
	if !bytes.Contains(out, []byte(`<script>alert(1)</script>"'`)) {
		t.Errorf("hostile flow name is not shown as written")
	}
	runTool(t, time.Minute, "qpdf", "--check", path)
}

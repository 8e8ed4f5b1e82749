package reports

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testKey is a fixed signing key for tests only.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func TestSealRoundTrip(t *testing.T) {
	for _, format := range []string{"html", "pdf"} {
		for _, key := range []ed25519.PrivateKey{nil, testKey} {
			t.Run(format+"/signed="+boolText(key != nil), func(t *testing.T) {
				r := testReport("ko")
				r.SignKey = key
				b := render(t, format, r)
				s, err := ReadSeal(b)
				if err != nil {
					t.Fatalf("ReadSeal of an untouched report: %v", err)
				}
				want := &Seal{RunID: r.Run.ID, RunHash: r.Run.Hash, Content: s.Content}
				if key != nil {
					want.Signer, want.Signature = KeyID(key.Public().(ed25519.PublicKey)), s.Signature
				}
				if diff := cmp.Diff(want, s); diff != "" {
					t.Errorf("seal (-want +got):\n%s", diff)
				}
				if key != nil {
					if err := s.VerifySignature(key.Public().(ed25519.PublicKey)); err != nil {
						t.Errorf("signature of an untouched report: %v", err)
					}
					other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)).Public().(ed25519.PublicKey)
					if err := s.VerifySignature(other); err == nil {
						t.Errorf("another key verified the signature")
					}
				} else if err := s.VerifySignature(testKey.Public().(ed25519.PublicKey)); err == nil {
					t.Errorf("an unsigned report verified")
				}
			})
		}
	}
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestSealRejectsChangedByte flips one byte inside a finding (its
// remediation text in HTML; a byte of the page content in the PDF) and
// checks the seal breaks; then re-seals the edit without the key and checks
// the signature no longer holds.
func TestSealRejectsChangedByte(t *testing.T) {
	for _, format := range []string{"html", "pdf"} {
		t.Run(format, func(t *testing.T) {
			r := testReport("en")
			r.SignKey = testKey
			b := render(t, format, r)
			i := bytes.Index(b, []byte("Send only the subjects"))
			if format == "pdf" {
				i = bytes.Index(b, []byte("stream\n")) + 40 // inside the first page's content stream
			}
			if i < 0 {
				t.Fatal("marker not found")
			}
			tampered := bytes.Clone(b)
			tampered[i] ^= 0x01
			_, err := ReadSeal(tampered)
			if !errors.Is(err, ErrContentChanged) {
				t.Fatalf("ReadSeal of a changed report: err = %v, want ErrContentChanged", err)
			}
			// A forger recomputes the digest but cannot sign.
			forged := reseal(t, tampered)
			s, err := ReadSeal(forged)
			if err != nil {
				t.Fatalf("re-sealed report: %v", err)
			}
			if err := s.VerifySignature(testKey.Public().(ed25519.PublicKey)); err == nil {
				t.Errorf("a re-sealed report kept a valid signature")
			}
		})
	}
}

// reseal recomputes a tampered report's content digest without the key.
func reseal(t *testing.T, b []byte) []byte {
	t.Helper()
	m := sealPattern.FindSubmatch(b)
	old := bytes.Clone(m[0])
	blank := bytes.Replace(old, m[3], []byte(zeroContent), 1)
	blank = bytes.Replace(blank, m[5], []byte(zeroSig), 1)
	sum := sealDigest(bytes.ReplaceAll(b, old, blank))
	fixed := bytes.Replace(old, m[3], []byte(sum), 1) // the old signature stays
	return bytes.ReplaceAll(b, old, fixed)
}

func TestSealTwoDifferentCopies(t *testing.T) {
	b := render(t, "html", testReport("en"))
	// Edit the visible copy of the seal only.
	i := bytes.LastIndex(b, []byte("run=20240302T010000Z-3f9a"))
	b[i+len("run=")] = '3'
	if _, err := ReadSeal(b); !errors.Is(err, ErrContentChanged) {
		t.Errorf("err = %v, want ErrContentChanged for two different seals", err)
	}
	if _, err := ReadSeal([]byte("<html></html>")); !errors.Is(err, ErrNoSeal) {
		t.Errorf("err = %v, want ErrNoSeal", err)
	}
}

func TestRunIDEscaping(t *testing.T) {
	for _, id := range []string{"20240302T010000Z-3f9a", "", "a b/c%d", `<script>"'`, "런-1"} {
		esc := escapeRunID(id)
		if strings.ContainsAny(esc, " <>\"'&/") {
			t.Errorf("escapeRunID(%q) = %q: outside the seal alphabet", id, esc)
		}
		back, err := unescapeRunID(esc)
		if err != nil || back != id {
			t.Errorf("unescapeRunID(%q) = %q, %v; want %q", esc, back, err, id)
		}
	}
	r := testReport("en")
	r.Run.ID = `run <"1">`
	s, err := ReadSeal(render(t, "html", r))
	if err != nil || s.RunID != r.Run.ID {
		t.Errorf("hostile run id: seal %+v, %v", s, err)
	}
}

func TestParseKeys(t *testing.T) {
	seed := testKey.Seed()
	pub := testKey.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	privPEM := filepath.Join(dir, "key.pem")
	if openssl, err := exec.LookPath("openssl"); err == nil {
		if out, err := exec.Command(openssl, "genpkey", "-algorithm", "ed25519", "-out", privPEM).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		data, _ := os.ReadFile(privPEM)
		k, err := ParsePrivateKey(data)
		if err != nil {
			t.Fatalf("openssl PEM key: %v", err)
		}
		pubOut, err := exec.Command(openssl, "pkey", "-in", privPEM, "-pubout").Output()
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePublicKey(pubOut)
		if err != nil || !p.Equal(k.Public()) {
			t.Errorf("openssl public key: %v", err)
		}
	}
	for name, data := range map[string][]byte{
		"raw seed":    seed,
		"hex seed":    []byte(hex.EncodeToString(seed) + "\n"),
		"base64 seed": []byte(base64.StdEncoding.EncodeToString(seed)),
		"raw 64":      testKey,
	} {
		k, err := ParsePrivateKey(data)
		if err != nil || !k.Equal(testKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	pemPub, err := PublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"raw": pub, "hex": []byte(hex.EncodeToString(pub)), "pem": pemPub} {
		p, err := ParsePublicKey(data)
		if err != nil || !p.Equal(pub) {
			t.Errorf("public %s: %v", name, err)
		}
	}
	for _, bad := range [][]byte{[]byte("nope"), pemPub, bytes.Repeat([]byte{1}, 31)} {
		if _, err := ParsePrivateKey(bad); err == nil {
			t.Errorf("ParsePrivateKey(%q) accepted", bad)
		}
	}
}

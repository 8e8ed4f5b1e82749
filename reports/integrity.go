package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// A report proves two things, and the seal is how.
//
//  1. Which run it renders. Every report states the run id and the run hash:
//     the SHA-256 of the run's canonical JSON (internal/store's
//     CanonicalRunJSON), which the database keeps and chains to the previous
//     run. `xborder verify --db` loads the run, recomputes the hash from the
//     stored rows and compares it with both the stored hash and the report's.
//  2. That the file is as rendered. The html and pdf formats carry a seal
//     line, SealMagic followed by fields:
//
//     xborder-seal/v1 run=ID hash=RUNHASH content=DIGEST signer=KEYID sig=SIGNATURE
//
//     content is the SHA-256 of the whole file with the seal's content and
//     sig values replaced by zeros (a file cannot contain its own digest,
//     so the digest covers everything else: every finding, every byte of
//     markup, the run id and hash). With a signing key, signer is the key's
//     id (KeyID) and sig the ed25519 signature of Statement(): the run id,
//     run hash, content digest and key id. Without one both are "-".
//
// A changed byte anywhere in a sealed file, findings included, changes the
// content digest. Anyone can recompute a bare digest after an edit, so the
// digest alone only catches accidents and careless edits; the run hash
// binds the file to the database, and the signature binds it to the holder
// of the private key: an edited report cannot be re-signed without it.
//
// The seal line uses only ASCII letters, digits and "/=-%._~ " so that it
// appears byte for byte in HTML (a <meta> element and the integrity section)
// and in a PDF (its /Keywords document property, which is never compressed).
// Filling it in never changes the file's length, so a PDF's cross-reference
// offsets stay valid.

// SealMagic starts every seal line; its version changes with the format.
const SealMagic = "xborder-seal/v1"

var (
	sealPattern = regexp.MustCompile(SealMagic + ` run=([A-Za-z0-9._~%-]*) hash=([0-9a-f]{64}|-) content=([0-9a-f]{64}) signer=([0-9a-f]{16}|-) sig=([0-9a-f]{128}|-)`)
	zeroContent = strings.Repeat("0", 64)
	zeroSig     = strings.Repeat("0", 128)
)

// Seal is a report's seal, as read from the file.
type Seal struct {
	RunID     string
	RunHash   string // "" when the run had no hash (never saved)
	Content   string // hex SHA-256 of the file with the seal's digest and signature blanked
	Signer    string // KeyID of the signing key, "" when unsigned
	Signature string // hex ed25519 signature of Statement(), "" when unsigned
}

// Signed reports whether the seal carries a signature.
func (s *Seal) Signed() bool { return s.Signature != "" }

// Statement is the byte string the signature covers.
func (s *Seal) Statement() []byte {
	return []byte(SealMagic + "\nrun=" + s.RunID + "\nhash=" + s.RunHash + "\ncontent=" + s.Content + "\nsigner=" + s.Signer + "\n")
}

// line writes the seal as it appears in a report.
func (s *Seal) line() string {
	return SealMagic + " run=" + escapeRunID(s.RunID) + " hash=" + orDash(s.RunHash) + " content=" + s.Content +
		" signer=" + orDash(s.Signer) + " sig=" + orDash(s.Signature)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sealPlaceholder is the seal line a format renders before the file's
// digest is known: zeros where the digest (and the signature) go. The
// signer is filled in by sealReport, which knows the key.
func sealPlaceholder(run *audit.Run, signed bool) string {
	s := &Seal{RunID: run.ID, RunHash: run.Hash, Content: zeroContent}
	if signed {
		s.Signer = strings.Repeat("0", 16)
		s.Signature = zeroSig
	}
	return s.line()
}

// sealReport fills in the placeholder seal of a rendered report (every
// occurrence of it) in place: the signer, the content digest and, with a
// key, the signature.
func sealReport(b []byte, run *audit.Run, key ed25519.PrivateKey) error {
	placeholder := []byte(sealPlaceholder(run, key != nil))
	if !bytes.Contains(b, placeholder) {
		return errors.New("reports: rendered report holds no seal placeholder")
	}
	s := &Seal{RunID: run.ID, RunHash: run.Hash, Content: zeroContent}
	if key != nil {
		s.Signer = KeyID(key.Public().(ed25519.PublicKey))
		s.Signature = zeroSig
		// The signer is part of the digested bytes: put it in first.
		replaceAll(b, placeholder, []byte(s.line()))
		placeholder = []byte(s.line())
	}
	s.Content = sealDigest(b)
	if key != nil {
		s.Signature = hex.EncodeToString(ed25519.Sign(key, s.Statement()))
	}
	replaceAll(b, placeholder, []byte(s.line()))
	return nil
}

// replaceAll overwrites every occurrence of old in b with new, of the same length.
func replaceAll(b, old, new []byte) {
	for i := 0; ; {
		j := bytes.Index(b[i:], old)
		if j < 0 {
			return
		}
		copy(b[i+j:], new)
		i += j + len(old)
	}
}

// ErrNoSeal is returned by ReadSeal for a file that holds no seal line.
var ErrNoSeal = errors.New("no xborder seal in the file (not an html or pdf report of xborder, or the seal was removed)")

// ErrContentChanged is returned (wrapped) by ReadSeal when the file's
// content digest does not match its seal: a byte was changed after sealing.
var ErrContentChanged = errors.New("the report's content does not match its seal: it was changed after it was rendered")

// ReadSeal finds the seal of a report file and recomputes its content
// digest. It returns the seal together with ErrContentChanged (wrapped) when
// the digest does not match, so that a caller can still say which run the
// report claims to be. Every copy of the seal in the file must be the same.
func ReadSeal(b []byte) (*Seal, error) {
	matches := sealPattern.FindAllSubmatchIndex(b, -1)
	if len(matches) == 0 {
		return nil, ErrNoSeal
	}
	first := b[matches[0][0]:matches[0][1]]
	m := sealPattern.FindSubmatch(first)
	id, err := unescapeRunID(string(m[1]))
	if err != nil {
		return nil, fmt.Errorf("seal: run id: %w", err)
	}
	s := &Seal{RunID: id, RunHash: dash(string(m[2])), Content: string(m[3]), Signer: dash(string(m[4])), Signature: dash(string(m[5]))}
	blank := *s
	blank.Content = zeroContent
	if s.Signature != "" {
		blank.Signature = zeroSig
	}
	c := bytes.Clone(b)
	for _, loc := range matches {
		if !bytes.Equal(b[loc[0]:loc[1]], first) {
			return s, fmt.Errorf("%w (the file holds two different seals)", ErrContentChanged)
		}
		copy(c[loc[0]:], blank.line())
	}
	if got := sealDigest(c); got != s.Content {
		return s, fmt.Errorf("%w (content digest %s, sealed %s)", ErrContentChanged, got, s.Content)
	}
	return s, nil
}

// sealDigest is the hex SHA-256 of a report with its seal blanked.
func sealDigest(blanked []byte) string {
	sum := sha256.Sum256(blanked)
	return hex.EncodeToString(sum[:])
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// VerifySignature checks the seal's signature with pub.
func (s *Seal) VerifySignature(pub ed25519.PublicKey) error {
	if !s.Signed() {
		return errors.New("the report is not signed")
	}
	if id := KeyID(pub); id != s.Signer {
		return fmt.Errorf("the report was signed with key %s, not with this key (%s)", s.Signer, id)
	}
	sig, err := hex.DecodeString(s.Signature)
	if err != nil || !ed25519.Verify(pub, s.Statement(), sig) {
		return errors.New("the signature does not verify: the seal was altered")
	}
	return nil
}

// KeyID names a public key in a seal: the first 16 hex digits of the
// SHA-256 of its 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// escapeRunID keeps [A-Za-z0-9._~-] and writes any other byte as %XX, so
// that a run id of any shape stays inside the seal's alphabet.
func escapeRunID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~-", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func unescapeRunID(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := hex.DecodeString(s[i+1 : i+3])
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(v[0])
		i += 2
	}
	return b.String(), nil
}

// ParsePrivateKey reads an ed25519 signing key: a PEM "PRIVATE KEY" block
// (PKCS #8, as `openssl genpkey -algorithm ed25519` writes it), or the
// 32-byte seed as raw bytes, hex or base64 (a 64-byte raw private key, the
// seed followed by the public key, is accepted too).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("PEM block %q, want PRIVATE KEY (PKCS #8)", block.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a %T, want an ed25519 key", k)
		}
		return priv, nil
	}
	raw := keyBytes(data, ed25519.SeedSize, ed25519.PrivateKeySize)
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !bytes.Equal(priv, raw) {
			return nil, errors.New("64-byte key whose public half does not match its seed")
		}
		return priv, nil
	}
	return nil, fmt.Errorf("not an ed25519 private key (want PEM PKCS #8, or a 32-byte seed raw, hex or base64; got %d bytes)", len(raw))
}

// ParsePublicKey reads an ed25519 public key: a PEM "PUBLIC KEY" block
// (PKIX, as `openssl pkey -pubout` writes it), or the 32 bytes raw, hex or
// base64.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %q, want PUBLIC KEY (PKIX)", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a %T, want an ed25519 key", k)
		}
		return pub, nil
	}
	if raw := keyBytes(data, ed25519.PublicKeySize); len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	return nil, errors.New("not an ed25519 public key (want PEM PKIX, or 32 bytes raw, hex or base64)")
}

// keyBytes reads key material written as hex or base64 text or as raw
// bytes: the first reading whose length is one of sizes, else the raw bytes.
func keyBytes(data []byte, sizes ...int) []byte {
	text := strings.TrimSpace(string(data))
	var candidates [][]byte
	if b, err := hex.DecodeString(text); err == nil {
		candidates = append(candidates, b)
	}
	if b, err := base64.StdEncoding.DecodeString(text); err == nil {
		candidates = append(candidates, b)
	}
	for _, b := range append(candidates, data) {
		if slices.Contains(sizes, len(b)) {
			return b
		}
	}
	return data
}

// PublicKeyPEM writes pub as a PEM PKIX block, for `xborder verify --pubkey`.
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

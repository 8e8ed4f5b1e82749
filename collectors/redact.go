package collectors

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A transfer log's values end up in the run: stored in the database,
// judged by the policies and printed in reports that travel outside the
// company. Subject keys never do (they are hashed), nor do fields v1 does
// not know (they are skipped). The values of the v1 fields that are kept
// are names of things -- item IDs, country codes, hosts, protection and
// transport names -- and an exporter that writes something else there (a
// phone number in `items`, an e-mail address in `host` or `country`)
// would carry personal data into every report. So a value that does not
// have the shape of its field is replaced, once per flow-day or unmatched
// group as a worker's state becomes the Aggregate (records were matched
// to flows on the values as logged before), by a placeholder that says
// which field was wrong: the policies still see an unknown item, an
// undeclared country or an unknown host, and no report repeats the value.
const (
	redactedItem       = "(redacted: not an item ID)"
	redactedCountry    = "(redacted: not a country code)"
	redactedHost       = "(redacted: not a host name)"
	redactedProtection = "(redacted: not a protection name)"
	redactedTLS        = "(redacted: not a transport name)"
)

// logItemNorm keeps an item ID shaped like a taxonomy ID: an ASCII letter,
// then letters, digits and _ . : - (at most 64 bytes).
func logItemNorm(s string) string {
	if logIDShaped(s, 64) {
		return s
	}
	return redactedItem
}

// logCountryNorm upper-cases a country and keeps it when it is two ASCII
// letters (ISO 3166-1 alpha-2, what DESIGN §5.3 asks for).
func logCountryNorm(s string) string {
	s = logUpperASCII(s)
	if len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' {
		return s
	}
	return redactedCountry
}

// logHostNorm keeps a host that looks like a host name: letters, digits
// and . - _ : [ ] (names, IPv4 and IPv6 addresses, ports), at most 253
// bytes; a name with non-ASCII letters (an internationalised domain) must
// have a dot. Records were matched to flows before: this only decides what
// is shown.
func logHostNorm(s string) string {
	if len(s) == 0 || len(s) > 253 || strings.Trim(s, ".-_:[]") == "" {
		return redactedHost
	}
	ascii := true
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && ('a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune(".-_:[]", r)):
		case r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)):
			ascii = false
		default:
			return redactedHost
		}
	}
	if !ascii && !strings.Contains(s, ".") {
		return redactedHost
	}
	return s
}

// logProtectionNorm keeps a protection name shaped like an ID (sha256,
// hmac-sha256, aes-256-gcm, a vendor's tokenizer).
func logProtectionNorm(s string) string {
	if logIDShaped(s, 64) {
		return s
	}
	return redactedProtection
}

// logTLSNorm keeps a transport shaped like a version (1.2) or an ID (none,
// sftp, tls1.3).
func logTLSNorm(s string) string {
	if logIDShaped(s, 32) {
		return s
	}
	if len(s) > 0 && len(s) <= 8 && strings.Trim(s, "0123456789.") == "" && s[0] != '.' {
		return s
	}
	return redactedTLS
}

// logIDShaped reports whether s is an ASCII letter followed by letters,
// digits and _ . : - + (at most max bytes).
func logIDShaped(s string, max int) bool {
	if len(s) == 0 || len(s) > max || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("_.:-+", c) >= 0) {
			return false
		}
	}
	return true
}

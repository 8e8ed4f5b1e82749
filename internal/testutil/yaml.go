package testutil

import "bytes"

// YAMLLines counts the lines of data as YAML does: a line ends at LF, CR LF,
// a lone CR, NEL, LS or PS. Fuzz tests use it to check that a located
// error points at a line that exists.
func YAMLLines(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			n++
		case data[i] == '\r':
			if i+1 == len(data) || data[i+1] != '\n' {
				n++
			}
		case bytes.HasPrefix(data[i:], []byte("\u0085")), bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			n++
		}
	}
	return n
}

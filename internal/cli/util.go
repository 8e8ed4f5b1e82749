package cli

import (
	"slices"
	"strings"
)

// joinKeys lists a registry's names, sorted, for help and error texts.
func joinKeys[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

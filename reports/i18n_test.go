package reports

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCatalogKeys keeps every language's labels in step with English: a
// key added to one map and not the other fails here, not in a report.
func TestCatalogKeys(t *testing.T) {
	want := slices.Sorted(maps.Keys(labelsEN))
	for lang, labels := range catalogs {
		if diff := cmp.Diff(want, slices.Sorted(maps.Keys(labels))); diff != "" {
			t.Errorf("%s labels differ from en (-en +%s):\n%s", lang, lang, diff)
		}
		for k, v := range labels {
			if v == "" {
				t.Errorf("%s label %q is empty", lang, k)
			}
		}
	}
}

func TestLanguages(t *testing.T) {
	if diff := cmp.Diff([]string{"en", "ko"}, Languages()); diff != "" {
		t.Errorf("Languages() (-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{"en": "en", "ko": "ko", "": "en", "fr": "en", "KO": "en"} {
		if got := langOf(in); got != want {
			t.Errorf("langOf(%q) = %q, want %q", in, got, want)
		}
	}
}

package policies

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestItemCategories reads the embedded taxonomy through the engine: the
// categories DESIGN §5.2 gives, in the taxonomy's order.
func TestItemCategories(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cats := e.ItemCategories()
	for item, want := range map[string][]string{
		"account_id": {"identifier"},
		"phone":      {"contact"},
		"rrn":        {"rrn"},
		"balance":    {"credit_info", "efta_txn"},
		"order_id":   {"transaction"},
	} {
		if diff := cmp.Diff(want, cats[item]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", item, diff)
		}
	}
	cats["phone"][0] = "changed"
	if e.ItemCategories()["phone"][0] != "contact" {
		t.Errorf("ItemCategories returned the engine's own slices")
	}
}

package cli

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
)

func TestDumpInput(t *testing.T) {
	dir := os.Getenv("XB_DUMP")
	if dir == "" {
		t.Skip()
	}
	m, err := collectors.LoadManifests(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := audit.NewInput(audit.ModeCheck, "2024-03-08", m)
	b, _ := json.Marshal(in)
	os.WriteFile(os.Getenv("XB_OUT"), b, 0o644)
}

package audit

// Mode says which evidence a run has: a check judges manifests alone, an
// audit judges manifests and logs.
type Mode string

const (
	ModeCheck Mode = "check"
	ModeAudit Mode = "audit"
)

// Input is everything the policies see: the Rego `input`. Flows and
// recipients are keyed by name so that rules join them directly
// (`input.recipients[f.recipient]`).
type Input struct {
	Mode         Mode                 `json:"mode"`
	AsOf         string               `json:"asOf"` // YYYY-MM-DD: the only clock a policy may read
	Organization *Organization        `json:"organization"`
	Recipients   map[string]Recipient `json:"recipients"`
	Flows        map[string]DataFlow  `json:"flows"`
	Observations []Observation        `json:"observations"`
	Unmatched    []Unmatched          `json:"unmatched"`
	DataQuality  DataQuality          `json:"dataQuality"`
	// ConsentExamples are, per flow, the first records the consent ledger
	// join counted as without consent or withdrawn (empty without a
	// ledger), for the evidence of PIPA-17-CONSENT-AT-TRANSFER.
	ConsentExamples map[string][]ConsentExample `json:"consentExamples"`
	// Params are the tunable thresholds (DESIGN §6), defaults from the
	// policy data overlaid with the user's configuration.
	Params map[string]any `json:"params"`
}

// NewInput builds the policy input of a manifest set.
func NewInput(mode Mode, asOf string, m *Manifests) *Input {
	in := &Input{
		Mode:         mode,
		AsOf:         asOf,
		Organization: m.Organization,
		Recipients:   make(map[string]Recipient, len(m.Recipients)),
		Flows:        make(map[string]DataFlow, len(m.Flows)),
		Observations: []Observation{},
		Unmatched:    []Unmatched{},
		DataQuality:  DataQuality{Files: []FileQuality{}},
		Params:       map[string]any{},

		ConsentExamples: map[string][]ConsentExample{},
	}
	for _, r := range m.Recipients {
		in.Recipients[r.Name] = r
	}
	for _, f := range m.Flows {
		in.Flows[f.Name] = f
	}
	return in
}

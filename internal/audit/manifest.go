package audit

import (
	"sort"
	"time"
)

// APIVersion is the manifest schema version this build reads.
const APIVersion = "xborder/v1"

// Manifest kinds (DESIGN §5.1).
const (
	KindOrganization = "Organization"
	KindRecipient    = "Recipient"
	KindDataFlow     = "DataFlow"
)

// Transfer types: the three kinds of "transfer" in PIPA Art. 28-8.
const (
	TypeProvision   = "provision"
	TypeEntrustment = "entrustment"
	TypeStorage     = "storage"
)

// DateLayout is the only date format manifests accept (YYYY-MM-DD).
const DateLayout = "2006-01-02"

// Source is where something was declared: a manifest file (relative to the
// directory given on the command line, with forward slashes) and a 1-based
// line and column. Findings point here.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Fields maps a dotted field path of a manifest object ("spec.legalBasis.overseas",
// "spec.items[2]") to where it was written, so that a finding about one field can
// point at that field and not only at the document.
type Fields map[string]Source

// Object is what every manifest kind has in common.
type Object struct {
	Name   string `json:"name"`
	Source Source `json:"source"`
	// Fields are the locations of the object's fields. They are kept out of
	// the policy input (policies name a field, the engine resolves it).
	Fields Fields `json:"-"`
}

// Locate returns where field was written, falling back to the closest
// enclosing field that was written, then to the object itself.
func (o Object) Locate(field string) Source {
	for f := field; f != ""; f = parentField(f) {
		if s, ok := o.Fields[f]; ok {
			return s
		}
	}
	return o.Source
}

func parentField(f string) string {
	for i := len(f) - 1; i >= 0; i-- {
		switch f[i] {
		case '.':
			return f[:i]
		case '[':
			return f[:i]
		}
	}
	return ""
}

// Subjects is the size of the controller's subject base.
type Subjects struct {
	Total  int64 `json:"total"`  // registered, dormant included
	Active int64 `json:"active"` // monthly active
}

// PrivacyPolicy is what the published privacy policy says about overseas
// transfers and entrusted processors.
type PrivacyPolicy struct {
	URL       string   `json:"url,omitempty"`
	Updated   string   `json:"updated,omitempty"`   // YYYY-MM-DD
	Discloses []string `json:"discloses,omitempty"` // DataFlow names in its overseas-transfer section
	Trustees  []string `json:"trustees,omitempty"`  // Recipient names listed as entrusted processors
}

// DomesticAgent is a domestic representative under PIPA Art. 31-2.
type DomesticAgent struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
}

// Organization is the audited controller: exactly one per manifest set.
type Organization struct {
	Object
	LegalName        string         `json:"legalName"`
	Country          string         `json:"country"`
	Subjects         Subjects       `json:"subjects"`
	RevenueKRW       int64          `json:"revenueKRW,omitempty"`
	KoreanUsersDaily int64          `json:"koreanUsersDaily,omitempty"`
	PrivacyPolicy    *PrivacyPolicy `json:"privacyPolicy,omitempty"`
	DomesticAgent    *DomesticAgent `json:"domesticAgent,omitempty"`
}

// Certification is a recipient's certification relied on under PIPA 28-8(1)4.
type Certification struct {
	Scheme       string `json:"scheme"`
	PIPCNotified bool   `json:"pipcNotified"`
	ValidFrom    string `json:"validFrom,omitempty"`  // YYYY-MM-DD
	ValidUntil   string `json:"validUntil,omitempty"` // YYYY-MM-DD
}

// Onward describes the recipient passing the data on (PIPA 28-11).
type Onward struct {
	Recipients  int64    `json:"recipients"`
	Disclosed   int64    `json:"disclosed"`
	Countries   []string `json:"countries,omitempty"` // ISO alpha-2, or "worldwide"
	Contractual bool     `json:"contractual"`
}

// Supervision records the controller's oversight of a processor (PIPA 26(4)).
type Supervision struct {
	LastTraining   string `json:"lastTraining,omitempty"`   // YYYY-MM-DD
	LastInspection string `json:"lastInspection,omitempty"` // YYYY-MM-DD
}

// Recipient is a party abroad (or at home) that receives personal data.
type Recipient struct {
	Object
	LegalName        string          `json:"legalName"`
	Country          string          `json:"country"`
	Contact          string          `json:"contact,omitempty"`
	OwnPurposes      []string        `json:"ownPurposes,omitempty"`
	Beneficiaries    []string        `json:"beneficiaries,omitempty"`
	Certifications   []Certification `json:"certifications,omitempty"`
	Onward           *Onward         `json:"onward,omitempty"`
	Supervision      *Supervision    `json:"supervision,omitempty"`
	KoreanUsersDaily int64           `json:"koreanUsersDaily,omitempty"`
	RevenueKRW       int64           `json:"revenueKRW,omitempty"`
	DomesticAgent    *DomesticAgent  `json:"domesticAgent,omitempty"`
}

// LegalBasis is the declared basis of a flow under each statute.
type LegalBasis struct {
	Overseas     string `json:"overseas,omitempty"`     // consent | law | contract | certification | adequacy
	Provision    string `json:"provision,omitempty"`    // consent | law | contract | none
	Credit       string `json:"credit,omitempty"`       // consent | entrustment | none
	Transactions string `json:"transactions,omitempty"` // consent | exempt | none
	Citation     string `json:"citation,omitempty"`
}

// Consent is how consent for the flow is asked.
type Consent struct {
	Separate          bool     `json:"separate"`
	SeparateProvision bool     `json:"separateProvision"`
	Mandatory         bool     `json:"mandatory"`
	Notice            []string `json:"notice,omitempty"`
	PurposeText       string   `json:"purposeText,omitempty"`
	Version           string   `json:"version,omitempty"`
}

// Notice records individual notice of the 28-8(2) items.
type Notice struct {
	Individual bool `json:"individual"`
}

// Contract is the transfer contract with the recipient.
type Contract struct {
	Signed  string   `json:"signed,omitempty"` // YYYY-MM-DD
	Ends    string   `json:"ends,omitempty"`   // YYYY-MM-DD; empty: open-ended
	Clauses []string `json:"clauses,omitempty"`
}

// Identifiers is how identifiers are protected before they leave.
type Identifiers struct {
	Method    string `json:"method,omitempty"`
	Keyed     bool   `json:"keyed"`
	Salted    bool   `json:"salted"`
	KeyHolder string `json:"keyHolder,omitempty"` // controller | recipient | shared
}

// Safeguards are the declared technical protections of a flow.
type Safeguards struct {
	Transport     string       `json:"transport,omitempty"`
	Identifiers   *Identifiers `json:"identifiers,omitempty"`
	Pseudonymized bool         `json:"pseudonymized"`
}

// DataFlow is one declared outbound integration.
type DataFlow struct {
	Object
	Owner          string     `json:"owner,omitempty"`
	Reviewed       string     `json:"reviewed,omitempty"` // YYYY-MM-DD
	Recipient      string     `json:"recipient"`
	Integration    string     `json:"integration"`
	Endpoints      []string   `json:"endpoints,omitempty"`
	Countries      []string   `json:"countries"`
	Type           string     `json:"type"`
	Purposes       []string   `json:"purposes"`
	Items          []string   `json:"items"`
	NecessaryItems []string   `json:"necessaryItems,omitzero"` // nil: the taxonomy's defaults; empty: none needed
	Subjects       string     `json:"subjects,omitempty"`
	Schedule       string     `json:"schedule,omitempty"`
	LegalBasis     LegalBasis `json:"legalBasis"`
	Consent        *Consent   `json:"consent,omitempty"`
	Notice         *Notice    `json:"notice,omitempty"`
	Contract       *Contract  `json:"contract,omitempty"`
	// Retention and RecipientRetention are ISO 8601 durations as written;
	// the *Days fields are their length in days (0 when undeclared), so that
	// policies compare numbers.
	Retention              string     `json:"retention,omitempty"`
	RetentionDays          int        `json:"retentionDays,omitempty"`
	RecipientRetention     string     `json:"recipientRetention,omitempty"`
	RecipientRetentionDays int        `json:"recipientRetentionDays,omitempty"`
	Safeguards             Safeguards `json:"safeguards"`
	Origin                 []string   `json:"origin,omitempty"`
}

// Manifests is a loaded, validated manifest set.
type Manifests struct {
	Organization *Organization `json:"organization"`
	Recipients   []Recipient   `json:"recipients"` // sorted by name
	Flows        []DataFlow    `json:"flows"`      // sorted by name
	// Files are the manifest files read, with their digests.
	Files []InputFile `json:"files"`
	// Warnings are problems that do not stop a run (an unknown purpose).
	Warnings InputErrors `json:"-"`
}

// Flow returns the flow with the given name.
func (m *Manifests) Flow(name string) (*DataFlow, bool) {
	return lookup(m.Flows, name, func(f *DataFlow) string { return f.Name })
}

// Recipient returns the recipient with the given name.
func (m *Manifests) Recipient(name string) (*Recipient, bool) {
	return lookup(m.Recipients, name, func(r *Recipient) string { return r.Name })
}

// lookup finds the element named name: by binary search, as the loader
// sorts flows and recipients by name (a report over 500 flows looks each
// one's recipient up), then, for a set built unsorted by hand, by a scan.
func lookup[T any](xs []T, name string, nameOf func(*T) string) (*T, bool) {
	if i := sort.Search(len(xs), func(i int) bool { return nameOf(&xs[i]) >= name }); i < len(xs) && nameOf(&xs[i]) == name {
		return &xs[i], true
	}
	for i := range xs {
		if nameOf(&xs[i]) == name {
			return &xs[i], true
		}
	}
	return nil, false
}

// InputFile identifies one input by path and content digest.
type InputFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Kind   string `json:"kind,omitempty"` // manifest | log | consents | partial
	Size   int64  `json:"size,omitempty"`
}

// ParseDate parses a YYYY-MM-DD date in UTC.
func ParseDate(s string) (time.Time, error) { return time.Parse(DateLayout, s) }

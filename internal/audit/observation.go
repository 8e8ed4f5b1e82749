package audit

// Observation is what the logs show for one flow on one day (UTC+9 calendar
// day of the record's timestamp, see Day). It is the unit policies judge
// volumes by, the unit stored per run and the unit partial results merge on.
type Observation struct {
	Flow    string `json:"flow"`
	Day     string `json:"day"` // YYYY-MM-DD in Korea Standard Time
	Records int64  `json:"records"`
	// Subjects is the number of distinct subjects: exact when
	// SubjectsEstimated is false, a HyperLogLog estimate otherwise. Batch
	// records contribute their declared `subjects` count.
	Subjects          int64    `json:"subjects"`
	SubjectsEstimated bool     `json:"subjectsEstimated"`
	Items             []string `json:"items"`
	UnknownItems      []string `json:"unknownItems"`
	Countries         []string `json:"countries"`
	Hosts             []string `json:"hosts"`
	Protections       []string `json:"protections"`
	TLS               []string `json:"tls"`
	// WithoutConsent counts records relying on no consent (absent or null
	// `consent`, or, with a consent ledger, no grant covering the time).
	WithoutConsent int64 `json:"withoutConsent"`
	// WithdrawnConsent counts records sent after the subject withdrew.
	WithdrawnConsent int64 `json:"withdrawnConsent"`
	Bytes            int64 `json:"bytes"`
}

// ConsentExample is one record the consent ledger join counted as without
// consent or after withdrawal: evidence a compliance officer can look up.
// Subject is redacted (at most the first few characters of the key, never
// the whole key, e.g. "u:4f…"): no full subject key leaves a run.
type ConsentExample struct {
	Kind    string `json:"kind"`    // withoutConsent | withdrawnConsent
	Time    string `json:"time"`    // the record's ts, RFC 3339 in Korea Standard Time
	Subject string `json:"subject"` // redacted subject key
}

// Unmatched is logged traffic that matches no declared flow, grouped by
// (integration or host, country, day).
type Unmatched struct {
	Key               string   `json:"key"` // the integration, or the host when no integration was logged
	Integration       string   `json:"integration,omitempty"`
	Host              string   `json:"host,omitempty"`
	Country           string   `json:"country"`
	Day               string   `json:"day"`
	Records           int64    `json:"records"`
	Subjects          int64    `json:"subjects"`
	SubjectsEstimated bool     `json:"subjectsEstimated"`
	Items             []string `json:"items"`
	UnknownItems      []string `json:"unknownItems"`
	Protections       []string `json:"protections"`
	TLS               []string `json:"tls"`
	Bytes             int64    `json:"bytes"`
}

// BadLine is one example of a log line that could not be used.
type BadLine struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// FileQuality is the accounting of one log file.
type FileQuality struct {
	Path     string    `json:"path"`
	Lines    int64     `json:"lines"`
	Records  int64     `json:"records"` // sum of `records` over good lines
	Bad      int64     `json:"bad"`
	Examples []BadLine `json:"examples,omitempty"` // the first few bad lines
}

// DataQuality is the accounting of every log line of a run.
type DataQuality struct {
	Files          []FileQuality `json:"files"`
	Lines          int64         `json:"lines"`
	Bad            int64         `json:"bad"`
	UnmatchedLines int64         `json:"unmatchedLines"`
}

// BadRatio is the share of bad lines, 0 when nothing was read.
func (q DataQuality) BadRatio() float64 {
	if q.Lines == 0 {
		return 0
	}
	return float64(q.Bad) / float64(q.Lines)
}

// MaxBadExamples is how many bad lines are kept per file as examples.
const MaxBadExamples = 5

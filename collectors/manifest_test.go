package collectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xborder/xborder/internal/audit"
)

const mfTestdata = "testdata/manifests"

// mfIgnoreFields leaves the field locations out of struct comparisons; they
// are asserted separately.
var mfIgnoreFields = cmpopts.IgnoreFields(audit.Object{}, "Fields")

func mfFileDigest(t *testing.T, path string) audit.InputFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return audit.InputFile{Path: filepath.ToSlash(path), SHA256: hex.EncodeToString(sum[:]), Kind: "manifest", Size: int64(len(b))}
}

// mfErrText runs the loader and returns its error text, failing the test
// when the error is not audit.InputErrors.
func mfErrText(t *testing.T, paths ...string) string {
	t.Helper()
	m, err := LoadManifests(paths...)
	if err == nil {
		t.Fatalf("LoadManifests(%q) succeeded, want input errors; got %d flows", paths, len(m.Flows))
	}
	var ies audit.InputErrors
	if !errors.As(err, &ies) {
		t.Fatalf("error is %T, want audit.InputErrors: %v", err, err)
	}
	return err.Error()
}

func TestLoadManifestsValid(t *testing.T) {
	dir := filepath.Join(mfTestdata, "valid")
	m, err := LoadManifests(dir)
	if err != nil {
		t.Fatalf("LoadManifests: %v", err)
	}
	src := func(file string, line, col int) audit.Source {
		return audit.Source{File: mfTestdata + "/valid/" + file, Line: line, Col: col}
	}
	want := &audit.Manifests{
		Organization: &audit.Organization{
			Object:           audit.Object{Name: "kakaopay", Source: src("organization.yaml", 3, 1)},
			LegalName:        "Kakaopay Corp.",
			Country:          "KR",
			Subjects:         audit.Subjects{Total: 40450000, Active: 25000000},
			RevenueKRW:       750000000000,
			KoreanUsersDaily: 0,
			PrivacyPolicy: &audit.PrivacyPolicy{
				URL:       "https://example.com/privacy",
				Updated:   "2024-01-10",
				Discloses: []string{"alipay-overseas-payment"},
				Trustees:  []string{"aws-tokyo"},
			},
		},
		Recipients: []audit.Recipient{
			{
				Object:        audit.Object{Name: "alipay", Source: src("recipients.yaml", 2, 1)},
				LegalName:     "Alipay Singapore E-Commerce Pte. Ltd.",
				Country:       "SG",
				Contact:       "privacy@alipay.example",
				OwnPurposes:   []string{"nsf_scoring"},
				Beneficiaries: []string{"apple"},
				Certifications: []audit.Certification{
					{Scheme: "APEC CBPR", PIPCNotified: true, ValidFrom: "2025-01-01", ValidUntil: "2029-12-31"},
				},
				Onward:      &audit.Onward{Recipients: 180000, Disclosed: 8000, Countries: []string{"worldwide"}, Contractual: false},
				Supervision: &audit.Supervision{LastTraining: "2024-03-01", LastInspection: "2023-01-15"},
			},
			{
				Object:    audit.Object{Name: "aws-tokyo", Source: src("recipients.yaml", 21, 1)},
				LegalName: "Amazon Web Services Japan G.K.",
				Country:   "JP",
				DomesticAgent: &audit.DomesticAgent{
					Name: "AWS Korea", Address: "Seoul", Phone: "+82-2-0000-0000", Email: "agent@aws.example",
				},
			},
		},
		Flows: []audit.DataFlow{
			{
				Object:      audit.Object{Name: "alipay-nsf", Source: src("flows/alipay.yaml", 2, 1)},
				Owner:       "payments-platform",
				Reviewed:    "2024-01-10",
				Recipient:   "alipay",
				Integration: "alipay-nsf-sftp",
				Countries:   []string{"CN", "SG"},
				Type:        "entrustment",
				Purposes:    []string{"fraud_prevention", "nsf_scoring"},
				Items:       []string{"account_id", "phone", "email", "balance", "payment_history"},
				Subjects:    "all_users",
				Schedule:    "daily",
				LegalBasis:  audit.LegalBasis{Overseas: "contract", Provision: "none", Credit: "none", Transactions: "none"},
				Contract: &audit.Contract{Signed: "2018-04-01", Clauses: []string{
					"safety", "grievance", "protection", "purpose_limit", "reentrust_limit", "supervision", "liability",
				}},
				Retention:              "P1Y",
				RetentionDays:          365,
				RecipientRetention:     "P5Y",
				RecipientRetentionDays: 5 * 365,
				Safeguards: audit.Safeguards{
					Transport:     "sftp",
					Identifiers:   &audit.Identifiers{Method: "sha256", KeyHolder: "controller"},
					Pseudonymized: true,
				},
				Origin: []string{"KR"},
			},
			{
				Object:         audit.Object{Name: "alipay-overseas-payment", Source: src("flows/alipay.yaml", 29, 1)},
				Owner:          "payments-platform",
				Reviewed:       "2024-02-01",
				Recipient:      "alipay",
				Integration:    "alipay-plus",
				Endpoints:      []string{"api.alipay.example"},
				Countries:      []string{"SG"},
				Type:           "provision",
				Purposes:       []string{"payment_processing", "settlement"},
				Items:          []string{"account_id", "order_id", "amount", "currency"},
				NecessaryItems: []string{"order_id", "amount"},
				Subjects:       "transacting_only",
				Schedule:       "realtime",
				LegalBasis:     audit.LegalBasis{Overseas: "consent", Provision: "consent", Credit: "none", Transactions: "consent"},
				Consent: &audit.Consent{
					Separate: true, SeparateProvision: true, Mandatory: false,
					Notice:      []string{"items", "country", "datetime_method", "recipient", "purpose_retention", "refusal"},
					PurposeText: "PG approval and settlement",
					Version:     "2019-06",
				},
				Notice:                 &audit.Notice{Individual: true},
				Retention:              "P6M",
				RetentionDays:          180,
				RecipientRetention:     "P2Y6M",
				RecipientRetentionDays: 2*365 + 6*30,
				Safeguards: audit.Safeguards{
					Transport:   "tls1.3",
					Identifiers: &audit.Identifiers{Method: "hmac-sha256", Keyed: true, KeyHolder: "controller"},
				},
			},
			{
				Object:                 audit.Object{Name: "aws-backup", Source: src("flows/aws.yaml", 2, 1)},
				Recipient:              "aws-tokyo",
				Integration:            "s3-backup",
				Endpoints:              []string{"s3.ap-northeast-1.amazonaws.com"},
				Countries:              []string{"JP"},
				Type:                   "storage",
				Purposes:               []string{"storage", "disaster_recovery"},
				Items:                  []string{"account_id", "order_id"},
				Retention:              "P30D",
				RetentionDays:          30,
				RecipientRetention:     "P1W",
				RecipientRetentionDays: 7,
			},
		},
		Files: []audit.InputFile{
			// Walk order: lexical, directories where they sort; .drafts
			// and notes.txt are skipped.
			mfFileDigest(t, filepath.Join(dir, "flows", "alipay.yaml")),
			mfFileDigest(t, filepath.Join(dir, "flows", "aws.yaml")),
			mfFileDigest(t, filepath.Join(dir, "organization.yaml")),
			mfFileDigest(t, filepath.Join(dir, "recipients.yaml")),
		},
		Warnings: audit.InputErrors{{
			File: mfTestdata + "/valid/flows/aws.yaml", Line: 10, Col: 23, Field: "spec.purposes[1]",
			Msg: `unknown purpose "disaster_recovery": not in the purpose vocabulary, so rules cannot tell which items it needs`,
		}},
	}
	if diff := cmp.Diff(want, m, mfIgnoreFields); diff != "" {
		t.Errorf("manifests differ (-want +got):\n%s", diff)
	}

	// Field locations: the value of each field, as written.
	locations := []struct {
		object audit.Object
		field  string
		want   audit.Source
	}{
		{m.Organization.Object, "metadata.name", src("organization.yaml", 4, 18)},
		{m.Organization.Object, "spec.country", src("organization.yaml", 7, 12)},
		{m.Organization.Object, "spec.privacyPolicy.trustees[0]", src("organization.yaml", 15, 16)},
		{m.Organization.Object, "spec.domesticAgent", src("organization.yaml", 16, 18)},
		{m.Recipients[0].Object, "metadata.labels.team", src("recipients.yaml", 5, 18)},
		{m.Recipients[0].Object, "spec.certifications[0].validUntil", src("recipients.yaml", 13, 82)},
		{m.Recipients[0].Object, "spec.onward.countries[0]", src("recipients.yaml", 14, 61)},
		{m.Recipients[1].Object, "spec.domesticAgent.email", src("recipients.yaml", 30, 12)},
		{m.Flows[0].Object, "spec.legalBasis.overseas", src("flows/alipay.yaml", 14, 15)},
		{m.Flows[0].Object, "spec.items[2]", src("flows/alipay.yaml", 10, 30)},
		{m.Flows[0].Object, "spec.contract.clauses", src("flows/alipay.yaml", 18, 55)},
		{m.Flows[0].Object, "spec.safeguards.identifiers.keyHolder", src("flows/alipay.yaml", 23, 75)},
		{m.Flows[1].Object, "metadata.reviewed", src("flows/alipay.yaml", 33, 13)},
		{m.Flows[1].Object, "spec.consent.notice[5]", src("flows/alipay.yaml", 50, 77)},
		{m.Flows[1].Object, "spec.legalBasis", src("flows/alipay.yaml", 45, 15)},
		{m.Flows[2].Object, "spec.recipientRetention", src("flows/aws.yaml", 13, 23)},
	}
	for _, l := range locations {
		got, ok := l.object.Fields[l.field]
		if !ok {
			t.Errorf("%s: no location for %s; have %v", l.object.Name, l.field, slices.Sorted(maps.Keys(l.object.Fields)))
			continue
		}
		if got != l.want {
			t.Errorf("%s: %s at %+v, want %+v", l.object.Name, l.field, got, l.want)
		}
	}
	// Locate falls back from an unwritten field to the closest written one.
	if got, want := m.Flows[1].Locate("spec.contract.clauses"), src("flows/alipay.yaml", 35, 3); got != want {
		t.Errorf("Locate of an absent field = %+v, want spec's %+v", got, want)
	}
	if got, want := m.Flows[0].Locate("spec.legalBasis.citation"), src("flows/alipay.yaml", 14, 5); got != want {
		t.Errorf("Locate(spec.legalBasis.citation) = %+v, want the enclosing spec.legalBasis %+v", got, want)
	}
}

func TestLoadManifestsBroken(t *testing.T) {
	dir := filepath.Join(mfTestdata, "broken")
	got := mfErrText(t, dir)
	want := strings.Join([]string{
		`testdata/manifests/broken/a.yaml:6:12: spec.country: country code "kr" must be upper-case ("KR")`,
		`testdata/manifests/broken/a.yaml:7:21: spec.subjects.total: expected a whole number, got number "1.5e6"`,
		`testdata/manifests/broken/a.yaml:9:14: spec.privacyPolicy.updated: invalid date "2024-02-30" (want YYYY-MM-DD, a real calendar date)`,
		`testdata/manifests/broken/a.yaml:10:30: spec.privacyPolicy.discloses[1]: "ghost-flow" names no DataFlow`,
		`testdata/manifests/broken/a.yaml:11:25: spec.privacyPolicy.trustees[1]: "clouds" names no Recipient (did you mean "cloudco"?)`,
		`testdata/manifests/broken/a.yaml:16:1: spec.legalName: missing required field`,
		`testdata/manifests/broken/a.yaml:17:3: spec.legalNam: unknown field "legalNam" (did you mean "legalName"?)`,
		`testdata/manifests/broken/a.yaml:18:12: spec.country: unknown country code "XX" (want an ISO 3166-1 alpha-2 code such as "KR")`,
		`testdata/manifests/broken/a.yaml:22:41: metadata.reviewed: invalid date "2024-13-01" (want YYYY-MM-DD, a real calendar date)`,
		`testdata/manifests/broken/a.yaml:24:14: spec.recipient: "cloudc" names no Recipient (did you mean "cloudco"?)`,
		`testdata/manifests/broken/a.yaml:27:14: spec.countries: expected a list, got string "US" (write [US] for a list of one)`,
		`testdata/manifests/broken/a.yaml:28:9: spec.type: unknown value "entrust" (want provision, entrustment or storage)`,
		`testdata/manifests/broken/a.yaml:30:21: spec.items[1]: duplicate value "order_id" (first at line 30)`,
		`testdata/manifests/broken/a.yaml:31:14: spec.retention: invalid duration "1 year" (want an ISO 8601 duration such as "P1Y", "P6M", "P30D", "P2Y6M" or "P1W")`,
		`testdata/manifests/broken/b.yaml:3:18: metadata.name: duplicate DataFlow name "acme-ledger" (first declared at testdata/manifests/broken/a.yaml:22)`,
		`testdata/manifests/broken/b.yaml:4:1: spec.purposes: missing required field`,
		`testdata/manifests/broken/b.yaml:6:16: spec.integration: integration "ledger" is already the integration of DataFlow "acme-ledger" (testdata/manifests/broken/a.yaml:25); log records would match both`,
		`testdata/manifests/broken/b.yaml:7:15: spec.endpoints[0]: endpoint "https://ledger.acme.example/v1" must be a host name such as "api.example.com", not a URL`,
		`testdata/manifests/broken/b.yaml:7:47: spec.endpoints[1]: endpoint "LEDGER.acme.example" is already declared by DataFlow "acme-ledger" (testdata/manifests/broken/a.yaml:26); log records would match both`,
		`testdata/manifests/broken/b.yaml:8:15: spec.countries[0]: "worldwide" is accepted only in spec.onward.countries; list the countries`,
		`testdata/manifests/broken/b.yaml:8:26: spec.countries[1]: "UK" is not an ISO 3166-1 alpha-2 code (did you mean "GB"?)`,
		`testdata/manifests/broken/b.yaml:11:27: spec.safeguards.transport: unknown value "tls13" (want tls1.3, tls1.2, tls1.1, tls1.0, plaintext, sftp or pgp; did you mean "tls1.3"?)`,
		`testdata/manifests/broken/b.yaml:11:34: spec.safeguards.pseudonymised: unknown field "pseudonymised" (did you mean "pseudonymized"?)`,
		`testdata/manifests/broken/b.yaml:12:24: spec.consent.mandatory: expected true or false, got string "yes"`,
		`testdata/manifests/broken/b.yaml:13:23: spec.recipientRetention: invalid duration "PT12H": time components are not supported, use days (want an ISO 8601 duration such as "P1Y", "P6M", "P30D", "P2Y6M" or "P1W")`,
		`testdata/manifests/broken/b.yaml:17:18: metadata.name: invalid name "Bad_Name" (want lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)`,
		`testdata/manifests/broken/b.yaml:20:13: apiVersion: unsupported apiVersion "xborder/v2" (want "xborder/v1")`,
		`testdata/manifests/broken/b.yaml:26:7: kind: unknown kind "Dataflow" (want Organization, Recipient or DataFlow; did you mean "DataFlow"?)`,
		`testdata/manifests/broken/b.yaml:30:1: kind: a second Organization (the first is "acme" at testdata/manifests/broken/a.yaml:2); a manifest set declares exactly one`,
	}, "\n")
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("errors differ (-want +got):\n%s", diff)
	}
}

// TestLoadManifestsMultiDocument loads one file holding the whole set,
// with empty documents, and checks that a BOM and CRLF line endings
// change nothing but the digest.
func TestLoadManifestsMultiDocument(t *testing.T) {
	var all bytes.Buffer
	all.WriteString("---\n# leading empty document\n---\n")
	for _, f := range []string{"organization.yaml", "recipients.yaml", "flows/alipay.yaml", "flows/aws.yaml"} {
		b, err := os.ReadFile(filepath.Join(mfTestdata, "valid", f))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		if !bytes.HasSuffix(b, []byte("---\n")) {
			all.WriteString("---\n")
		}
	}
	all.WriteString("---\n")
	lf := all.Bytes()
	crlf := append([]byte("\xEF\xBB\xBF"), bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))...)

	dir := t.TempDir()
	load := func(name string, data []byte) *audit.Manifests {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := LoadManifests(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	a := load("set.yaml", lf)
	b := load("set-crlf.yml", crlf)

	if got, want := len(a.Flows), 3; got != want {
		t.Fatalf("flows: got %d, want %d", got, want)
	}
	if got, want := len(a.Recipients), 2; got != want {
		t.Fatalf("recipients: got %d, want %d", got, want)
	}
	// Every object of the one file carries that file and its own line.
	wantLines := map[string]int{"kakaopay": 6, "alipay": 22, "aws-tokyo": 41}
	objs := []audit.Object{a.Organization.Object, a.Recipients[0].Object, a.Recipients[1].Object}
	for _, o := range objs {
		if o.Source.File != filepath.ToSlash(filepath.Join(dir, "set.yaml")) || o.Source.Line != wantLines[o.Name] {
			t.Errorf("%s declared at %+v, want set.yaml line %d", o.Name, o.Source, wantLines[o.Name])
		}
	}
	// The CRLF/BOM copy decodes to the same objects at the same lines.
	rename := cmp.Transformer("file", func(s audit.Source) audit.Source {
		s.File = filepath.Base(s.File)
		if s.File == "set-crlf.yml" {
			s.File = "set.yaml"
		}
		return s
	})
	if diff := cmp.Diff(a.Flows, b.Flows, rename); diff != "" {
		t.Errorf("CRLF+BOM copy decodes differently (-LF +CRLF):\n%s", diff)
	}
	if diff := cmp.Diff(a.Organization, b.Organization, rename); diff != "" {
		t.Errorf("CRLF+BOM organization differs (-LF +CRLF):\n%s", diff)
	}
	if a.Files[0].SHA256 == b.Files[0].SHA256 || b.Files[0].Size != int64(len(crlf)) {
		t.Errorf("digests: LF %+v, CRLF %+v; want different digests and the CRLF file's size", a.Files[0], b.Files[0])
	}
}

// TestLoadManifestsHostile feeds the loader what an attacker or an
// accident could put in a manifest directory. Each case must give exactly
// these located errors: no panic, no hang, no huge allocation.
func TestLoadManifestsHostile(t *testing.T) {
	minimal := "apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: acme}\nspec: {legalName: Acme, country: KR}\n"
	deep := "apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: acme}\nspec: {legalName: Acme, country: KR}\nx: " +
		strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n"
	bomb := "apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: acme}\nspec: {legalName: Acme, country: KR}\n" +
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 'b', 'a'; i <= 'h'; i, prev = i+1, i {
		bomb += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(prev)+", ", 9) + "*" + string(prev) + "]\n"
	}
	tests := []struct {
		name  string
		files map[string]string // written under the case's directory
		want  string            // {dir} is the case's directory
	}{{
		name:  "alias bomb",
		files: map[string]string{"bomb.yaml": bomb},
		want:  `{dir}/bomb.yaml:12:8: YAML aliases expand this document by more than 100000 nodes (alias *g alone to 11111111); refusing it`,
	}, {
		name:  "alias that contains itself",
		files: map[string]string{"self.yaml": minimal + "x: &a [1, *a]\n"},
		want:  `{dir}/self.yaml:5:11: alias *a refers to a node that contains it`,
	}, {
		name:  "deep nesting",
		files: map[string]string{"deep.yaml": deep},
		want:  `{dir}/deep.yaml:5:67: document is nested deeper than 64 levels`,
	}, {
		name:  "invalid UTF-8",
		files: map[string]string{"bad.yaml": "apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: \"ac\xffme\"}\n"},
		want:  `{dir}/bad.yaml:3:21: invalid YAML: invalid UTF-8 byte 0xFF (the file must be UTF-8)`,
	}, {
		name:  "NUL byte",
		files: map[string]string{"nul.yaml": minimal + "# x\x00\n"},
		want:  `{dir}/nul.yaml:5:4: invalid YAML: NUL byte is not allowed`,
	}, {
		name:  "control character",
		files: map[string]string{"ctl.yaml": "apiVersion: xborder/v1\x1b[0m\n"},
		want:  `{dir}/ctl.yaml:1:23: invalid YAML: control character U+001B is not allowed`,
	}, {
		name:  "UTF-16",
		files: map[string]string{"u16.yaml": "\xff\xfea\x00:\x00"},
		want:  `{dir}/u16.yaml:1:1: invalid YAML: the file is UTF-16; save it as UTF-8`,
	}, {
		name:  "syntax error after a good document",
		files: map[string]string{"syntax.yaml": minimal + "---\nkind: [\n"},
		want:  `{dir}/syntax.yaml:6: invalid YAML: did not find expected node content`,
	}, {
		// The YAML library says "line 2": its parser counts lines from 0.
		name:  "unclosed flow sequence",
		files: map[string]string{"a.yaml": "apiVersion: xborder/v1\nkind: Recipient\nc: [x\nd: 1\n"},
		want:  `{dir}/a.yaml:3: invalid YAML: did not find expected ',' or ']'`,
	}, {
		name:  "tab indentation",
		files: map[string]string{"tab.yaml": "apiVersion: xborder/v1\nkind: Organization\nmetadata:\n\tname: acme\n"},
		want:  `{dir}/tab.yaml:4: invalid YAML: found character that cannot start any token`,
	}, {
		name:  "document that is not a mapping",
		files: map[string]string{"list.yaml": minimal + "---\n- kind: DataFlow\n"},
		want:  `{dir}/list.yaml:6:1: a manifest document must be a mapping with apiVersion, kind, metadata and spec, got a list`,
	}, {
		name:  "duplicate key",
		files: map[string]string{"dup.yaml": minimal + "spec: {}\n"},
		want:  `{dir}/dup.yaml:5:1: spec: duplicate key (first at line 4)`,
	}, {
		name:  "missing apiVersion and name",
		files: map[string]string{"min.yaml": "kind: Organization\nmetadata: {}\nspec: {legalName: Acme, country: KR}\n"},
		want: `{dir}/min.yaml:1:1: apiVersion: missing required field (want "xborder/v1")` + "\n" +
			`{dir}/min.yaml:2:1: metadata.name: missing required field`,
	}, {
		name:  "no organization",
		files: map[string]string{"r.yaml": "apiVersion: xborder/v1\nkind: Recipient\nmetadata: {name: r}\nspec: {legalName: R, country: SG}\n"},
		want:  `{dir}: no Organization found; a manifest set declares exactly one (the audited controller)`,
	}, {
		name:  "empty directory",
		files: map[string]string{"README.md": "no manifests here\n"},
		want:  `{dir}: no Organization found; a manifest set declares exactly one (the audited controller)`,
	}, {
		name:  "merge keys apply, explicit keys win, unknown merged fields are caught",
		files: map[string]string{"merge.yaml": minimal + "---\napiVersion: xborder/v1\nkind: Recipient\nmetadata: {name: r}\nspec:\n  <<: {legalName: Base, country: SG, colour: red}\n  country: JP\n"},
		want:  `{dir}/merge.yaml:10:38: spec.colour: unknown field "colour"`,
	}, {
		name:  "wrong types",
		files: map[string]string{"types.yaml": "apiVersion: xborder/v1\nkind: [Organization]\n---\napiVersion: 1\nkind: Organization\n---\napiVersion: xborder/v1\nkind: Organization\nmetadata: {name: acme, labels: [a]}\nspec: {legalName: true, country: KR, subjects: 5, privacyPolicy: {discloses: [[x]]}}\n"},
		want: strings.Join([]string{
			`{dir}/types.yaml:2:7: kind: expected a string, got a list`,
			`{dir}/types.yaml:4:13: apiVersion: unsupported apiVersion "1" (want "xborder/v1")`,
			`{dir}/types.yaml:9:32: metadata.labels: expected a mapping of strings, got a list`,
			`{dir}/types.yaml:10:19: spec.legalName: expected a string, got boolean true (quote it if it is text)`,
			`{dir}/types.yaml:10:48: spec.subjects: expected a mapping, got integer "5"`,
			`{dir}/types.yaml:10:79: spec.privacyPolicy.discloses[0]: expected a string, got a list`,
		}, "\n"),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := mfErrText(t, dir)
			want := strings.ReplaceAll(tc.want, "{dir}", filepath.ToSlash(dir))
			if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadManifestsFileSystem covers the walk: sizes, links, loops,
// missing and unreadable paths, skipped entries and duplicates.
func TestLoadManifestsFileSystem(t *testing.T) {
	org := []byte("apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: acme}\nspec: {legalName: Acme, country: KR}\n")
	rcp := []byte("apiVersion: xborder/v1\nkind: Recipient\nmetadata: {name: r}\nspec: {legalName: R, country: SG}\n")
	write := func(t *testing.T, path string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(t *testing.T, target, link string) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}

	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "org.yaml"), org)
		big := append(bytes.Repeat([]byte("# padding\n"), MaxManifestBytes/10+1), "x: 1\n"...)
		write(t, filepath.Join(dir, "big.yaml"), big)
		got := mfErrText(t, dir)
		want := filepath.ToSlash(dir) + "/big.yaml: file is 8388615 bytes, larger than the 8 MiB limit for a manifest file"
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("missing path", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "org.yaml"), org)
		got := mfErrText(t, dir, filepath.Join(dir, "nope"))
		if want := filepath.ToSlash(dir) + "/nope: no such file or directory"; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("symlink loops", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "sub", "org.yaml"), org)
		symlink(t, "..", filepath.Join(dir, "sub", "up"))
		symlink(t, "self", filepath.Join(dir, "self"))
		got := mfErrText(t, dir)
		d := filepath.ToSlash(dir)
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			t.Fatal(err)
		}
		want := d + "/self: symlink loop: the link resolves to itself\n" +
			d + "/sub/up: symlink loop: the link points to " + filepath.ToSlash(real) + ", a directory that contains it"
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("unreadable file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "org.yaml"), org)
		write(t, filepath.Join(dir, "secret.yaml"), rcp)
		s := newMfSet(nil)
		s.open = func(name string) (io.ReadCloser, error) {
			if filepath.Base(name) == "secret.yaml" {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
			}
			return os.Open(name)
		}
		w := mfWalker{s: s, seenFiles: map[string]bool{}, seenDirs: map[string]bool{}}
		w.root(dir)
		for _, f := range w.files {
			s.loadFile(f)
		}
		_, err := s.finish(dir)
		if got, want := err.Error(), filepath.ToSlash(dir)+"/secret.yaml: cannot read file: permission denied"; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("permission bits", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads files whatever their mode")
		}
		dir := t.TempDir()
		write(t, filepath.Join(dir, "org.yaml"), org)
		write(t, filepath.Join(dir, "secret.yaml"), rcp)
		if err := os.Chmod(filepath.Join(dir, "secret.yaml"), 0); err != nil {
			t.Fatal(err)
		}
		got := mfErrText(t, dir)
		if want := filepath.ToSlash(dir) + "/secret.yaml: cannot read file: permission denied"; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("links followed, hidden and other files skipped, each file once", func(t *testing.T) {
		dir := t.TempDir()
		shared := t.TempDir()
		write(t, filepath.Join(dir, "a", "org.yaml"), org)
		write(t, filepath.Join(shared, "recipient.yml"), rcp)
		write(t, filepath.Join(dir, ".git", "config.yaml"), []byte("not: a manifest\n"))
		write(t, filepath.Join(dir, ".hidden.yaml"), []byte("not: a manifest\n"))
		write(t, filepath.Join(dir, "notes.txt"), []byte("not: a manifest\n"))
		symlink(t, shared, filepath.Join(dir, "b-shared"))
		symlink(t, filepath.Join(shared, "recipient.yml"), filepath.Join(dir, "c-link.YAML"))
		symlink(t, filepath.Join(dir, "missing"), filepath.Join(dir, "dangling-dir"))
		// dir twice and a file inside it: each file is read once, at the
		// first path it was found by.
		m, err := LoadManifests(dir, filepath.Join(dir, "a", "org.yaml"), dir)
		if err != nil {
			t.Fatalf("LoadManifests: %v", err)
		}
		var got []string
		for _, f := range m.Files {
			got = append(got, strings.TrimPrefix(f.Path, filepath.ToSlash(dir)+"/"))
		}
		if diff := cmp.Diff([]string{"a/org.yaml", "b-shared/recipient.yml"}, got); diff != "" {
			t.Errorf("files read (-want +got):\n%s", diff)
		}
		if len(m.Recipients) != 1 || m.Recipients[0].Source.File != filepath.ToSlash(dir)+"/b-shared/recipient.yml" {
			t.Errorf("recipients %+v, want one declared in b-shared/recipient.yml", m.Recipients)
		}
	})

	t.Run("explicit file of any name", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "org.manifest"), org)
		m, err := LoadManifests(filepath.Join(dir, ".", "org.manifest"))
		if err != nil {
			t.Fatalf("LoadManifests: %v", err)
		}
		if got, want := m.Organization.Source.File, filepath.ToSlash(dir)+"/org.manifest"; got != want {
			t.Errorf("source file %q, want the cleaned path %q", got, want)
		}
	})

	t.Run("error flood is cut per file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "org.yaml"), org)
		flood := strings.Repeat("apiVersion: xborder/v1\nkind: Thing\n---\n", 500)
		write(t, filepath.Join(dir, "flood.yaml"), []byte(flood))
		write(t, filepath.Join(dir, "later.yaml"), []byte("apiVersion: xborder/v1\nkind: Other\n"))
		lines := strings.Split(mfErrText(t, dir), "\n")
		d := filepath.ToSlash(dir)
		if got, want := len(lines), mfMaxErrorsPerFile+1; got != want {
			t.Fatalf("%d errors, want %d (the cap of one file plus the other file's)", got, want)
		}
		want := []string{
			d + `/flood.yaml:596:7: kind: unknown kind "Thing" (want Organization, Recipient or DataFlow)`,
			d + `/flood.yaml:599:7: too many errors (200) in this file; the rest of it was not checked`,
			d + `/later.yaml:2:7: kind: unknown kind "Other" (want Organization, Recipient or DataFlow)`,
		}
		if diff := cmp.Diff(want, lines[len(lines)-3:]); diff != "" {
			t.Errorf("last errors (-want +got):\n%s", diff)
		}
	})

	t.Run("no paths", func(t *testing.T) {
		if got, want := mfErrText(t), ".: no manifest paths given"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestManifestDuration(t *testing.T) {
	tests := []struct {
		in      string
		days    int
		wantErr string
	}{
		{"P1Y", 365, ""},
		{"P6M", 180, ""},
		{"P30D", 30, ""},
		{"P2Y6M", 910, ""},
		{"P1W", 7, ""},
		{"P1Y2M3W4D", 365 + 60 + 21 + 4, ""},
		{"P0D", 0, ""},
		{"P", 0, `invalid duration "P"`},
		{"1Y", 0, `invalid duration "1Y"`},
		{"P1", 0, `invalid duration "P1"`},
		{"PY", 0, `invalid duration "PY"`},
		{"P1.5Y", 0, `invalid duration "P1.5Y"`},
		{"p1y", 0, `invalid duration "p1y"`},
		{"P1H", 0, `unknown designator "H"`},
		{"PT1H", 0, "time components are not supported"},
		{"P1D1Y", 0, "designators must appear once each, in the order Y, M, W, D"},
		{"P1Y1Y", 0, "designators must appear once each"},
		{"P1000Y", 365000, ""},
		{"P1001Y", 0, "longer than 365000 days"},
		{"P9999999D", 0, `invalid duration "P9999999D"`},
	}
	for _, tc := range tests {
		days, err := mfDurationDays(tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.in, err, tc.wantErr)
		case days != tc.days:
			t.Errorf("%s: %d days, want %d", tc.in, days, tc.days)
		}
	}
}

func TestManifestCountry(t *testing.T) {
	tests := []struct {
		code  string
		extra []string
		want  string
	}{
		{"KR", nil, ""},
		{"SG", nil, ""},
		{"AX", nil, ""},
		{"worldwide", []string{"worldwide"}, ""},
		{"EU", []string{"EU"}, ""},
		{"kr", nil, `country code "kr" must be upper-case ("KR")`},
		{"eu", []string{"EU"}, `country code "eu" must be upper-case ("EU")`},
		{"EU", nil, `"EU" is not a country; list the member states`},
		{"worldwide", nil, `"worldwide" is accepted only in spec.onward.countries; list the countries`},
		{"UK", nil, `"UK" is not an ISO 3166-1 alpha-2 code (did you mean "GB"?)`},
		{"XK", nil, `"XK" is not an ISO 3166-1 alpha-2 code`},
		{"KOR", nil, `unknown country code "KOR" (want an ISO 3166-1 alpha-2 code such as "KR")`},
		{"", nil, `unknown country code "" (want an ISO 3166-1 alpha-2 code such as "KR")`},
	}
	for _, tc := range tests {
		if got := mfCountryProblem(tc.code, tc.extra...); got != tc.want {
			t.Errorf("mfCountryProblem(%q, %q) = %q, want %q", tc.code, tc.extra, got, tc.want)
		}
	}
	if got := len(mfISO3166); got != 249 {
		t.Errorf("the ISO 3166-1 list has %d codes, want the 249 assigned", got)
	}
}

// TestManifestPurposesMatchPolicyData keeps the built-in vocabulary in
// step with the purposes the embedded policy data defines.
func TestManifestPurposesMatchPolicyData(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "policies", "data", "purposes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Xborder struct {
			Reference struct {
				Purposes map[string]json.RawMessage `json:"purposes"`
			} `json:"reference"`
		} `json:"xborder"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(data.Xborder.Reference.Purposes))
	if diff := cmp.Diff(want, ManifestPurposes()); diff != "" {
		t.Errorf("ManifestPurposes differs from policies/data/purposes.json (-data +built-in):\n%s", diff)
	}
}

// TestManifestLoaderPurposes shows that a user-extended vocabulary
// silences the unknown-purpose warning.
func TestManifestLoaderPurposes(t *testing.T) {
	dir := filepath.Join(mfTestdata, "valid")
	m, err := ManifestLoader{Purposes: append(ManifestPurposes(), "disaster_recovery")}.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings with an extended vocabulary: %v", m.Warnings)
	}
}

func BenchmarkLoadManifests(b *testing.B) {
	dir := filepath.Join(mfTestdata, "valid")
	for b.Loop() {
		if _, err := LoadManifests(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeManifest proves the decoder never panics and always answers
// either a manifest set or located input errors about the file it read.
// Seeds: the fixtures under testdata/manifests and testdata/fuzz.
func FuzzDecodeManifest(f *testing.F) {
	err := filepath.WalkDir(mfTestdata, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !mfIsYAML(p) {
			return err
		}
		b, err := os.ReadFile(p)
		f.Add(b)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newMfSet(nil)
		s.decodeFile("fuzz.yaml", data)
		m, err := s.finish("fuzz.yaml")
		if err == nil {
			if m == nil || m.Organization == nil {
				t.Fatalf("no error and no organization: %+v", m)
			}
			for _, fl := range m.Flows {
				if fl.Source.File != "fuzz.yaml" || fl.Source.Line < 1 {
					t.Fatalf("flow %q declared at %+v", fl.Name, fl.Source)
				}
			}
			return
		}
		var ies audit.InputErrors
		if !errors.As(err, &ies) || len(ies) == 0 {
			t.Fatalf("error %T %v, want audit.InputErrors", err, err)
		}
		for _, e := range ies {
			if e.File != "fuzz.yaml" || e.Line < 0 || e.Col < 0 || e.Msg == "" || strings.Contains(e.Msg, "internal error") {
				t.Fatalf("bad input error %#v", e)
			}
		}
	})
}

// TestManifestWalkSkipsForeignYAML: `xborder check` in a repository root
// walks CI workflows, compose files and xborder.yaml too; those are not
// manifests and must not fail the gate. A file named explicitly is always
// judged, and a walked file that names a manifest kind is judged strictly
// even with a broken apiVersion.
func TestManifestWalkSkipsForeignYAML(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/manifests/valid")); err != nil {
		t.Fatal(err)
	}
	foreign := map[string]string{
		"xborder.yaml":       "fail-on: critical\nas-of: 2024-03-08\n",
		"docker-compose.yml": "services:\n  db:\n    image: postgres\n",
		"ci/workflow.yaml":   "- name: build\n  run: make\n",
		"ci/empty.yml":       "",
	}
	for name, text := range foreign {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := LoadManifests("testdata/manifests/valid")
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadManifests(dir)
	if err != nil {
		t.Fatalf("walking a tree with foreign YAML: %v", err)
	}
	if len(got.Flows) != len(want.Flows) || len(got.Recipients) != len(want.Recipients) || len(got.Files) != len(want.Files) {
		t.Errorf("got %d flows, %d recipients, %d files; want %d, %d, %d",
			len(got.Flows), len(got.Recipients), len(got.Files), len(want.Flows), len(want.Recipients), len(want.Files))
	}

	// Named explicitly, a foreign file is judged (and rejected).
	if _, err := LoadManifests(dir, filepath.Join(dir, "docker-compose.yml")); err == nil ||
		!strings.Contains(err.Error(), "docker-compose.yml:") {
		t.Errorf("explicit docker-compose.yml: err = %v, want a located error", err)
	}
	// A walked manifest with a broken apiVersion still names its kind: judged.
	broken := "apiVersion: xborderr/v1\nkind: Recipient\nmetadata: {name: extra}\nspec: {legalName: X, country: SG}\n"
	if err := os.WriteFile(filepath.Join(dir, "extra.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadManifests(dir); err == nil || !strings.Contains(err.Error(), "extra.yaml:1:") {
		t.Errorf("walked manifest with a bad apiVersion: err = %v, want extra.yaml:1:… apiVersion error", err)
	}
}

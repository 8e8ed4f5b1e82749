package collectors

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/audit"
)

// The enumerations of DESIGN §5.1. Each list is the complete set of values
// a manifest may write; anything else is an input error.
var (
	mfKinds          = []string{audit.KindOrganization, audit.KindRecipient, audit.KindDataFlow}
	mfTypes          = []string{audit.TypeProvision, audit.TypeEntrustment, audit.TypeStorage}
	mfSubjectScopes  = []string{"all_users", "service_users", "transacting_only"}
	mfSchedules      = []string{"realtime", "daily", "weekly", "monthly", "on_demand"}
	mfOverseasBases  = []string{"consent", "law", "contract", "certification", "adequacy"}
	mfProvisionBases = []string{"consent", "law", "contract", "none"}
	mfCreditBases    = []string{"consent", "entrustment", "none"}
	mfTxnBases       = []string{"consent", "exempt", "none"}
	mfTransports     = []string{"tls1.3", "tls1.2", "tls1.1", "tls1.0", "plaintext", "sftp", "pgp"}
	// mfIdentifierMethods are the protections of DESIGN §5.3 plus "none",
	// which the reference data (weak_protections) also knows.
	mfIdentifierMethods = []string{"plain", "none", "sha256", "sha1", "md5", "base64", "hmac-sha256", "aes-256-gcm", "token"}
	mfKeyHolders        = []string{"controller", "recipient", "shared"}
	// mfNoticeItems are the items of PIPA 28-8(2) and of Art. 17(2)
	// (notice_items_28_8 and notice_items_17 in the reference data).
	mfNoticeItems = []string{"items", "country", "datetime_method", "recipient", "purpose_retention", "refusal", "purpose", "retention"}
	mfClauses     = []string{"safety", "grievance", "protection", "purpose_limit", "reentrust_limit", "supervision", "liability", "audit"}
)

var (
	mfNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
	mfDateRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	// mfIntRe is an integer YAML resolved as a float because it overflows.
	mfIntRe = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)
)

// mfFieldsHint is the room made for an object's field locations: a
// DataFlow written in full has 45 to 60, other kinds fewer.
func mfFieldsHint(kind string) int {
	if kind == audit.KindDataFlow {
		return 64
	}
	return 16
}

// mfDoc decodes one document. Every value it visits records its location
// in fields, which becomes the object's audit.Fields.
type mfDoc struct {
	s      *mfSet
	file   string
	fields audit.Fields
}

// mfDecodeFunc decodes the value of one field. key is the field's key node
// (its location is used for problems about the field as a whole), val the
// value as written (possibly an alias), path the field's dotted path.
type mfDecodeFunc func(key, val *yaml.Node, path string)

// mfElem decodes one scalar (a field value or a list element) into a
// string, reporting what is wrong with it. ok is false when the value is
// unusable.
type mfElem func(n *yaml.Node, path string) (s string, ok bool)

// mfField is one field of a mapping in the schema.
type mfField struct {
	name     string
	required bool
	decode   mfDecodeFunc
}

func (d *mfDoc) src(n *yaml.Node) audit.Source {
	return audit.Source{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *mfDoc) errAt(n *yaml.Node, field, format string, args ...any) {
	d.s.addErr(d.file, n.Line, n.Column, field, format, args...)
}

func (d *mfDoc) errAtSource(at audit.Source, field, format string, args ...any) {
	d.s.addErr(at.File, at.Line, at.Col, field, format, args...)
}

// mfJoin appends a field name to a dotted path.
func mfJoin(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// mfIndex is the path of a list element: path[i].
func mfIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// mfShort quotes a value for a message, cut to a readable length.
func mfShort(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// mfDescribe names what a node is, for "expected X, got Y" messages.
func mfDescribe(n *yaml.Node) string {
	n = mfResolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "string " + mfShort(n.Value)
		case "!!int":
			return "integer " + mfShort(n.Value)
		case "!!float":
			return "number " + mfShort(n.Value)
		case "!!bool":
			return "boolean " + n.Value
		case "!!null":
			return "null"
		case "!!timestamp":
			return "date " + mfShort(n.Value)
		default:
			return "a value tagged " + mfShort(n.ShortTag())
		}
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

func mfIsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// mfOneOf formats a list of allowed values: "a, b or c".
func mfOneOf(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// decodeDocument decodes one YAML document into a manifest object and adds
// it to the set. Empty documents (a trailing ---) are skipped.
func (s *mfSet) decodeDocument(file string, doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if mfIsNull(root) && root.Kind == yaml.ScalarNode {
		return
	}
	// A document refused as a whole might have been the Organization.
	skipped := true
	defer func() {
		if skipped {
			s.incomplete = true
		}
	}()
	if !s.checkShape(file, root) {
		return
	}
	d := &mfDoc{s: s, file: file}
	root = mfResolve(root)
	if root.Kind != yaml.MappingNode {
		d.errAt(root, "", "a manifest document must be a mapping with apiVersion, kind, metadata and spec, got %s", mfDescribe(root))
		return
	}

	// apiVersion and kind decide how the rest is read, so they come first.
	var kindKey, kindVal, apiVal *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := mfResolve(root.Content[i])
		switch {
		case k.Kind != yaml.ScalarNode:
		case k.Value == "kind" && kindVal == nil:
			kindKey, kindVal = root.Content[i], root.Content[i+1]
		case k.Value == "apiVersion" && apiVal == nil:
			apiVal = root.Content[i+1]
		}
	}
	source := d.src(root)
	if kindKey != nil {
		source = d.src(kindKey)
	}
	switch {
	case apiVal == nil:
		d.errAtSource(source, "apiVersion", "missing required field (want %q)", audit.APIVersion)
	case mfResolve(apiVal).Kind != yaml.ScalarNode || mfIsNull(mfResolve(apiVal)):
		d.errAt(apiVal, "apiVersion", "expected %q, got %s", audit.APIVersion, mfDescribe(apiVal))
		return
	case mfResolve(apiVal).Value != audit.APIVersion:
		d.errAt(apiVal, "apiVersion", "unsupported apiVersion %s (want %q)", mfShort(mfResolve(apiVal).Value), audit.APIVersion)
		return
	}
	if kindVal == nil {
		d.errAtSource(source, "kind", "missing required field (want %s)", mfOneOf(mfKinds))
		return
	}
	kind, ok := d.str(kindVal, "kind")
	if !ok {
		return
	}
	var spec mfDecodeFunc
	var org *audit.Organization
	var rcp *audit.Recipient
	var flow *audit.DataFlow
	switch kind {
	case audit.KindOrganization:
		org = &audit.Organization{}
		spec = d.organization(org)
	case audit.KindRecipient:
		rcp = &audit.Recipient{}
		spec = d.recipient(rcp)
	case audit.KindDataFlow:
		flow = &audit.DataFlow{}
		spec = d.dataFlow(flow)
	default:
		d.errAt(kindVal, "kind", "unknown kind %s%s", mfShort(kind), mfWant(kind, mfKinds))
		return
	}

	skipped = false
	d.fields = make(audit.Fields, mfFieldsHint(kind))
	var meta struct{ name, owner, reviewed string }
	nop := func(_, _ *yaml.Node, _ string) {}
	d.object(root, "", source, []mfField{
		{"apiVersion", false, nop},
		{"kind", false, nop},
		{"metadata", true, func(k, v *yaml.Node, p string) {
			d.object(v, p, d.src(k), []mfField{
				{"name", true, d.one(&meta.name, d.name)},
				{"owner", false, d.one(&meta.owner, d.ident)},
				{"reviewed", false, d.one(&meta.reviewed, d.date)},
				{"labels", false, d.labels},
			})
		}},
		{"spec", true, spec},
	})

	obj := audit.Object{Name: meta.name, Source: source, Fields: d.fields}
	switch {
	case org != nil:
		org.Object = obj
		s.orgs = append(s.orgs, org)
	case rcp != nil:
		rcp.Object = obj
		s.recipients = append(s.recipients, *rcp)
	case flow != nil:
		flow.Object = obj
		flow.Owner, flow.Reviewed = meta.owner, meta.reviewed
		s.flows = append(s.flows, *flow)
	}
}

// pairs lists the key/value pairs of a mapping, applying YAML merge keys
// (`<<: *defaults`, explicit keys win) and reporting keys that are not
// strings or appear twice.
func (d *mfDoc) pairs(m *yaml.Node, path string) [][2]*yaml.Node {
	if len(m.Content)/2 > mfMaxElements {
		d.errAt(m, path, "mapping has %d keys, more than the %d allowed", len(m.Content)/2, mfMaxElements)
		return nil
	}
	var merged [][2]*yaml.Node
	out := make([][2]*yaml.Node, 0, len(m.Content)/2)
	seen := mfKeysFor(len(m.Content) / 2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		rk := mfResolve(k)
		if rk.Kind != yaml.ScalarNode {
			d.errAt(k, path, "mapping keys must be strings, got %s", mfDescribe(rk))
			continue
		}
		if rk.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(v, path)...)
			continue
		}
		if first := seen.get(rk.Value); first != nil {
			d.errAt(k, mfJoin(path, rk.Value), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen.add(rk.Value, k)
		out = append(out, [2]*yaml.Node{k, v})
	}
	for _, p := range merged {
		name := mfResolve(p[0]).Value
		if seen.get(name) == nil {
			seen.add(name, p[0])
			out = append(out, p)
		}
	}
	return out
}

// mfKeys remembers the first node of each key (or list value) seen: a
// list searched from the start while it is short, which is every mapping
// and list of a real manifest, and a map once it grows.
type mfKeys struct {
	list  []mfKey
	index map[string]*yaml.Node
}

type mfKey struct {
	name string
	node *yaml.Node
}

const mfKeysLinear = 32

// mfKeysFor makes room for n keys.
func mfKeysFor(n int) mfKeys { return mfKeys{list: make([]mfKey, 0, min(n, mfKeysLinear))} }

func (k *mfKeys) get(name string) *yaml.Node {
	if k.index != nil {
		return k.index[name]
	}
	for _, e := range k.list {
		if e.name == name {
			return e.node
		}
	}
	return nil
}

// add records name, which get did not find.
func (k *mfKeys) add(name string, n *yaml.Node) {
	if k.index != nil {
		k.index[name] = n
		return
	}
	k.list = append(k.list, mfKey{name, n})
	if len(k.list) > mfKeysLinear {
		k.index = make(map[string]*yaml.Node, 2*len(k.list))
		for _, e := range k.list {
			k.index[e.name] = e.node
		}
	}
}

func (d *mfDoc) mergePairs(v *yaml.Node, path string) [][2]*yaml.Node {
	r := mfResolve(v)
	switch r.Kind {
	case yaml.MappingNode:
		return d.pairs(r, path)
	case yaml.SequenceNode:
		var out [][2]*yaml.Node
		for _, e := range r.Content {
			if re := mfResolve(e); re.Kind == yaml.MappingNode {
				out = append(out, d.pairs(re, path)...)
			} else {
				d.errAt(e, path, "a merge (<<) list must hold mappings, got %s", mfDescribe(re))
			}
		}
		return out
	}
	d.errAt(v, path, "a merge (<<) must be a mapping or a list of mappings, got %s", mfDescribe(r))
	return nil
}

// object decodes a mapping against its schema: unknown fields (with the
// closest known name), missing or empty required fields (reported at the
// mapping's key, at), and each known field through its decoder.
func (d *mfDoc) object(n *yaml.Node, path string, at audit.Source, fields []mfField) {
	r := mfResolve(n)
	if r.Kind != yaml.MappingNode {
		d.errAt(n, path, "expected a mapping, got %s", mfDescribe(r))
		return
	}
	present := make([]bool, len(fields))
	for _, p := range d.pairs(r, path) {
		name := mfResolve(p[0]).Value
		fp := mfJoin(path, name)
		var f *mfField
		for i := range fields {
			if fields[i].name == name {
				f = &fields[i]
				present[i] = true
				break
			}
		}
		if f == nil {
			known := make([]string, len(fields))
			for i, kf := range fields {
				known[i] = kf.name
			}
			d.errAt(p[0], fp, "unknown field %s%s", mfShort(name), mfSuggest(name, known))
			continue
		}
		d.fields[fp] = d.src(p[1])
		v := mfResolve(p[1])
		switch {
		case mfIsNull(v):
			if f.required {
				d.errAt(p[1], fp, "required field is null")
			}
			continue
		case f.required && (v.Kind == yaml.SequenceNode && len(v.Content) == 0 ||
			v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == ""):
			d.errAt(p[1], fp, "required field is empty")
			continue
		}
		f.decode(p[0], p[1], fp)
	}
	for i, f := range fields {
		if f.required && !present[i] {
			d.errAtSource(at, mfJoin(path, f.name), "missing required field")
		}
	}
}

// sub returns a decoder for a nested mapping.
func (d *mfDoc) sub(fields func() []mfField) mfDecodeFunc {
	return func(k, v *yaml.Node, p string) { d.object(v, p, d.src(k), fields()) }
}

// one returns a decoder for a scalar field.
func (d *mfDoc) one(dst *string, elem mfElem) mfDecodeFunc {
	return func(_, v *yaml.Node, p string) {
		if s, ok := elem(v, p); ok {
			*dst = s
		}
	}
}

// many returns a decoder for a list of scalars. Elements keep their index
// even when invalid (as written, or ""), so that spec.items[2] is the third
// element written; duplicates are errors.
func (d *mfDoc) many(dst *[]string, elem mfElem) mfDecodeFunc {
	return func(_, v *yaml.Node, p string) {
		r := mfResolve(v)
		if r.Kind != yaml.SequenceNode {
			hint := ""
			if r.Kind == yaml.ScalarNode && r.ShortTag() == "!!str" {
				hint = fmt.Sprintf(" (write [%s] for a list of one)", r.Value)
			}
			d.errAt(v, p, "expected a list, got %s%s", mfDescribe(r), hint)
			return
		}
		if len(r.Content) > mfMaxElements {
			d.errAt(v, p, "list has %d elements, more than the %d allowed", len(r.Content), mfMaxElements)
			return
		}
		out := make([]string, 0, len(r.Content))
		first := mfKeysFor(len(r.Content))
		for i, e := range r.Content {
			ep := mfIndex(p, i)
			d.fields[ep] = d.src(e)
			s, ok := elem(e, ep)
			if ok {
				if f := first.get(s); f != nil {
					d.errAt(e, ep, "duplicate value %s (first at line %d)", mfShort(s), f.Line)
				} else {
					first.add(s, e)
				}
			}
			out = append(out, s)
		}
		*dst = out
	}
}

// objects returns a decoder for a list of mappings.
func (d *mfDoc) objects(n int, decode func(i int, k, v *yaml.Node, p string)) func(k, v *yaml.Node, p string) {
	return func(k, v *yaml.Node, p string) {
		r := mfResolve(v)
		if r.Kind != yaml.SequenceNode {
			d.errAt(v, p, "expected a list, got %s", mfDescribe(r))
			return
		}
		if len(r.Content) > n {
			d.errAt(v, p, "list has %d elements, more than the %d allowed", len(r.Content), n)
			return
		}
		for i, e := range r.Content {
			ep := mfIndex(p, i)
			d.fields[ep] = d.src(e)
			decode(i, e, e, ep)
		}
	}
}

// str accepts any scalar written as text: a string, or a number or date
// YAML would resolve otherwise, kept as written. Booleans, nulls and
// collections are type errors.
func (d *mfDoc) str(n *yaml.Node, path string) (string, bool) {
	r := mfResolve(n)
	if r.Kind == yaml.ScalarNode {
		switch r.ShortTag() {
		case "!!str", "!!int", "!!float", "!!timestamp":
			return r.Value, true
		case "!!bool":
			d.errAt(n, path, "expected a string, got boolean %s (quote it if it is text)", r.Value)
			return "", false
		}
	}
	d.errAt(n, path, "expected a string, got %s", mfDescribe(r))
	return "", false
}

// text is free text (a legal name, an address): any string.
func (d *mfDoc) text(n *yaml.Node, path string) (string, bool) { return d.str(n, path) }

// ident is a value that is compared with other values (a name, an item, a
// host): it must not be empty nor carry spaces at either end, since
// nothing is trimmed silently.
func (d *mfDoc) ident(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	switch {
	case !ok:
		return "", false
	case s == "":
		d.errAt(n, path, "must not be empty")
		return "", false
	case strings.TrimSpace(s) != s:
		d.errAt(n, path, "value %s has leading or trailing spaces", mfShort(s))
		return s, false
	}
	return s, true
}

// name is an object name: a DNS-label-like name, as in Kubernetes.
func (d *mfDoc) name(n *yaml.Node, path string) (string, bool) {
	s, ok := d.ident(n, path)
	if !ok {
		return s, false
	}
	if len(s) > 253 || !mfNameRe.MatchString(s) {
		d.errAt(n, path, "invalid name %s (want lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)", mfShort(s))
		return s, false
	}
	return s, true
}

// enum returns an element decoder accepting only the given values.
func (d *mfDoc) enum(allowed []string) mfElem {
	return func(n *yaml.Node, path string) (string, bool) {
		s, ok := d.str(n, path)
		if !ok {
			return "", false
		}
		for _, a := range allowed {
			if s == a {
				return s, true
			}
		}
		d.errAt(n, path, "unknown value %s%s", mfShort(s), mfWant(s, allowed))
		return s, false
	}
}

// date accepts a real calendar date written YYYY-MM-DD.
func (d *mfDoc) date(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if _, err := audit.ParseDate(s); err != nil || !mfDateRe.MatchString(s) {
		d.errAt(n, path, "invalid date %s (want YYYY-MM-DD, a real calendar date)", mfShort(s))
		return s, false
	}
	return s, true
}

// country returns an element decoder for ISO 3166-1 alpha-2 codes, plus
// the extra non-ISO values this field accepts.
func (d *mfDoc) country(extra ...string) mfElem {
	return func(n *yaml.Node, path string) (string, bool) {
		s, ok := d.str(n, path)
		if !ok {
			return "", false
		}
		if msg := mfCountryProblem(s, extra...); msg != "" {
			d.errAt(n, path, "%s", msg)
			return s, false
		}
		return s, true
	}
}

// host is an endpoint: a host name as logged, not a URL.
func (d *mfDoc) host(n *yaml.Node, path string) (string, bool) {
	s, ok := d.ident(n, path)
	if ok && (strings.Contains(s, "/") || strings.ContainsAny(s, " \t")) {
		d.errAt(n, path, "endpoint %s must be a host name such as \"api.example.com\", not a URL", mfShort(s))
		return s, false
	}
	return s, ok
}

// purpose is a purpose ID; one outside the vocabulary is a warning.
func (d *mfDoc) purpose(n *yaml.Node, path string) (string, bool) {
	s, ok := d.ident(n, path)
	if ok && !d.s.purposes[s] {
		d.s.warns.Add(d.file, n.Line, n.Column, path, "unknown purpose %s: not in the purpose vocabulary, so rules cannot tell which items it needs%s", mfShort(s), mfSuggest(s, d.s.purposeIDs))
	}
	return s, ok
}

// count decodes a non-negative integer.
func (d *mfDoc) count(dst *int64) mfDecodeFunc {
	return func(_, v *yaml.Node, p string) {
		r := mfResolve(v)
		if r.Kind == yaml.ScalarNode && r.ShortTag() == "!!float" && mfIntRe.MatchString(r.Value) {
			d.errAt(v, p, "integer %s is out of range", mfShort(r.Value))
			return
		}
		if r.Kind != yaml.ScalarNode || r.ShortTag() != "!!int" {
			d.errAt(v, p, "expected a whole number, got %s", mfDescribe(r))
			return
		}
		var n int64
		if err := r.Decode(&n); err != nil {
			d.errAt(v, p, "integer %s is out of range", mfShort(r.Value))
			return
		}
		if n < 0 {
			d.errAt(v, p, "must not be negative, got %d", n)
			return
		}
		*dst = n
	}
}

// flag decodes a boolean (true or false).
func (d *mfDoc) flag(dst *bool) mfDecodeFunc {
	return func(_, v *yaml.Node, p string) {
		r := mfResolve(v)
		if r.Kind != yaml.ScalarNode || r.ShortTag() != "!!bool" {
			d.errAt(v, p, "expected true or false, got %s", mfDescribe(r))
			return
		}
		var b bool
		if err := r.Decode(&b); err != nil {
			d.errAt(v, p, "expected true or false, got %s", mfDescribe(r))
			return
		}
		*dst = b
	}
}

// duration decodes an ISO 8601 duration and its length in days.
func (d *mfDoc) duration(dst *string, days *int) mfDecodeFunc {
	return func(_, v *yaml.Node, p string) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		n, err := mfDurationDays(s)
		if err != nil {
			d.errAt(v, p, "%v", err)
			return
		}
		*dst, *days = s, n
	}
}

// labels decodes metadata.labels, a mapping of strings to strings, which
// is checked but not kept.
func (d *mfDoc) labels(_, v *yaml.Node, p string) {
	r := mfResolve(v)
	if r.Kind != yaml.MappingNode {
		d.errAt(v, p, "expected a mapping of strings, got %s", mfDescribe(r))
		return
	}
	for _, kv := range d.pairs(r, p) {
		lp := mfJoin(p, mfResolve(kv[0]).Value)
		d.fields[lp] = d.src(kv[1])
		d.str(kv[1], lp)
	}
}

// domesticAgent is the Art. 31-2 representative, shared by Organization and
// Recipient; null means none.
func (d *mfDoc) domesticAgent(dst **audit.DomesticAgent) mfDecodeFunc {
	return func(k, v *yaml.Node, p string) {
		a := &audit.DomesticAgent{}
		*dst = a
		d.object(v, p, d.src(k), []mfField{
			{"name", false, d.one(&a.Name, d.text)},
			{"address", false, d.one(&a.Address, d.text)},
			{"phone", false, d.one(&a.Phone, d.text)},
			{"email", false, d.one(&a.Email, d.text)},
		})
	}
}

// organization is the spec of an Organization.
func (d *mfDoc) organization(o *audit.Organization) mfDecodeFunc {
	return d.sub(func() []mfField {
		return []mfField{
			{"legalName", true, d.one(&o.LegalName, d.text)},
			{"country", true, d.one(&o.Country, d.country())},
			{"subjects", false, d.sub(func() []mfField {
				return []mfField{
					{"total", false, d.count(&o.Subjects.Total)},
					{"active", false, d.count(&o.Subjects.Active)},
				}
			})},
			{"revenueKRW", false, d.count(&o.RevenueKRW)},
			{"koreanUsersDaily", false, d.count(&o.KoreanUsersDaily)},
			{"privacyPolicy", false, func(k, v *yaml.Node, p string) {
				pp := &audit.PrivacyPolicy{}
				o.PrivacyPolicy = pp
				d.object(v, p, d.src(k), []mfField{
					{"url", false, d.one(&pp.URL, d.ident)},
					{"updated", false, d.one(&pp.Updated, d.date)},
					{"discloses", false, d.many(&pp.Discloses, d.ident)},
					{"trustees", false, d.many(&pp.Trustees, d.ident)},
				})
			}},
			{"domesticAgent", false, d.domesticAgent(&o.DomesticAgent)},
		}
	})
}

// recipient is the spec of a Recipient.
func (d *mfDoc) recipient(r *audit.Recipient) mfDecodeFunc {
	return d.sub(func() []mfField {
		return []mfField{
			{"legalName", true, d.one(&r.LegalName, d.text)},
			{"country", true, d.one(&r.Country, d.country())},
			{"contact", false, d.one(&r.Contact, d.text)},
			{"ownPurposes", false, d.many(&r.OwnPurposes, d.purpose)},
			{"beneficiaries", false, d.many(&r.Beneficiaries, d.ident)},
			{"certifications", false, func(k, v *yaml.Node, p string) {
				n := len(mfResolve(v).Content)
				r.Certifications = make([]audit.Certification, min(n, mfMaxElements))
				d.objects(mfMaxElements, func(i int, k, v *yaml.Node, p string) {
					c := &r.Certifications[i]
					d.object(v, p, d.src(k), []mfField{
						{"scheme", true, d.one(&c.Scheme, d.text)},
						{"pipcNotified", false, d.flag(&c.PIPCNotified)},
						{"validFrom", false, d.one(&c.ValidFrom, d.date)},
						{"validUntil", false, d.one(&c.ValidUntil, d.date)},
					})
				})(k, v, p)
			}},
			{"onward", false, func(k, v *yaml.Node, p string) {
				o := &audit.Onward{}
				r.Onward = o
				d.object(v, p, d.src(k), []mfField{
					{"recipients", false, d.count(&o.Recipients)},
					{"disclosed", false, d.count(&o.Disclosed)},
					{"countries", false, d.many(&o.Countries, d.country("worldwide"))},
					{"contractual", false, d.flag(&o.Contractual)},
				})
			}},
			{"supervision", false, func(k, v *yaml.Node, p string) {
				s := &audit.Supervision{}
				r.Supervision = s
				d.object(v, p, d.src(k), []mfField{
					{"lastTraining", false, d.one(&s.LastTraining, d.date)},
					{"lastInspection", false, d.one(&s.LastInspection, d.date)},
				})
			}},
			{"koreanUsersDaily", false, d.count(&r.KoreanUsersDaily)},
			{"revenueKRW", false, d.count(&r.RevenueKRW)},
			{"domesticAgent", false, d.domesticAgent(&r.DomesticAgent)},
		}
	})
}

// dataFlow is the spec of a DataFlow.
func (d *mfDoc) dataFlow(f *audit.DataFlow) mfDecodeFunc {
	return d.sub(func() []mfField {
		return []mfField{
			{"recipient", true, d.one(&f.Recipient, d.ident)},
			{"integration", true, d.one(&f.Integration, d.ident)},
			{"endpoints", false, d.many(&f.Endpoints, d.host)},
			{"countries", true, d.many(&f.Countries, d.country())},
			{"type", true, d.one(&f.Type, d.enum(mfTypes))},
			{"purposes", true, d.many(&f.Purposes, d.purpose)},
			{"items", true, d.many(&f.Items, d.ident)},
			{"necessaryItems", false, d.many(&f.NecessaryItems, d.ident)},
			{"subjects", false, d.one(&f.Subjects, d.enum(mfSubjectScopes))},
			{"schedule", false, d.one(&f.Schedule, d.enum(mfSchedules))},
			{"legalBasis", false, d.sub(func() []mfField {
				lb := &f.LegalBasis
				return []mfField{
					{"overseas", false, d.one(&lb.Overseas, d.enum(mfOverseasBases))},
					{"provision", false, d.one(&lb.Provision, d.enum(mfProvisionBases))},
					{"credit", false, d.one(&lb.Credit, d.enum(mfCreditBases))},
					{"transactions", false, d.one(&lb.Transactions, d.enum(mfTxnBases))},
					{"citation", false, d.one(&lb.Citation, d.text)},
				}
			})},
			{"consent", false, func(k, v *yaml.Node, p string) {
				c := &audit.Consent{}
				f.Consent = c
				d.object(v, p, d.src(k), []mfField{
					{"separate", false, d.flag(&c.Separate)},
					{"separateProvision", false, d.flag(&c.SeparateProvision)},
					{"mandatory", false, d.flag(&c.Mandatory)},
					{"notice", false, d.many(&c.Notice, d.enum(mfNoticeItems))},
					{"purposeText", false, d.one(&c.PurposeText, d.text)},
					{"version", false, d.one(&c.Version, d.text)},
				})
			}},
			{"notice", false, func(k, v *yaml.Node, p string) {
				n := &audit.Notice{}
				f.Notice = n
				d.object(v, p, d.src(k), []mfField{
					{"individual", false, d.flag(&n.Individual)},
				})
			}},
			{"contract", false, func(k, v *yaml.Node, p string) {
				c := &audit.Contract{}
				f.Contract = c
				d.object(v, p, d.src(k), []mfField{
					{"signed", false, d.one(&c.Signed, d.date)},
					{"ends", false, d.one(&c.Ends, d.date)},
					{"clauses", false, d.many(&c.Clauses, d.enum(mfClauses))},
				})
			}},
			{"retention", false, d.duration(&f.Retention, &f.RetentionDays)},
			{"recipientRetention", false, d.duration(&f.RecipientRetention, &f.RecipientRetentionDays)},
			{"safeguards", false, d.sub(func() []mfField {
				sg := &f.Safeguards
				return []mfField{
					{"transport", false, d.one(&sg.Transport, d.enum(mfTransports))},
					{"identifiers", false, func(k, v *yaml.Node, p string) {
						id := &audit.Identifiers{}
						sg.Identifiers = id
						d.object(v, p, d.src(k), []mfField{
							{"method", false, d.one(&id.Method, d.enum(mfIdentifierMethods))},
							{"keyed", false, d.flag(&id.Keyed)},
							{"salted", false, d.flag(&id.Salted)},
							{"keyHolder", false, d.one(&id.KeyHolder, d.enum(mfKeyHolders))},
						})
					}},
					{"pseudonymized", false, d.flag(&sg.Pseudonymized)},
				}
			})},
			{"origin", false, d.many(&f.Origin, d.country("EU"))},
		}
	})
}

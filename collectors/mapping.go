package collectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/yamltext"
)

// Mapping reads a foreign log format (an egress proxy's access log, a PG's
// settlement export) as transfer-log records v1: the source is JSON Lines
// or CSV, and each v1 field is one CEL expression over the source record,
// `record` (a JSON object, or a CSV row keyed by its header). A mapping file
// looks like this:
//
//	apiVersion: xborder/v1
//	kind: LogMapping
//	format: json                       # json | csv
//	fields:
//	  ts: timestamp(record.start_time)
//	  integration: '"envoy:" + record.upstream_cluster'
//	  host: record.upstream_host
//	  country: record["x-geo-country"]
//	  subject: record.?user_key.orValue(null)
//	  items: record.items.split(";")
//
// The expressions are compiled once (LoadMapping) and evaluated per record
// with one reused activation per worker; `ts` and `items` are required, as
// in v1. A record whose expression fails (a missing key, a wrong type) is a
// bad line, counted and reported like any malformed v1 line. A null result,
// or an absent optional, means the field is absent.
//
// A Mapping is safe for concurrent use.
type Mapping struct {
	file   audit.InputFile
	csv    bool
	fields [logNumFields]cel.Program
	// keys are the top-level keys of a JSON record that some expression
	// reads (each mapped to itself, so that a decoded key is a shared
	// string), or nil when an expression uses `record` other than by
	// selecting a constant key: the JSON reader decodes only these values.
	keys map[string]string
	// direct[f] is the key a field's expression is just a selection of
	// (record.x or record["x"]), else "": for a JSON record, that field
	// is read from the decoded record without running CEL, which would give
	// the same value or the same "no such key" error at several times the
	// cost.
	direct [logNumFields]string
	// orNull[f] says the field's expression is record.?x.orValue(null)
	// (x in direct[f]): a missing key is null, not an error.
	orNull [logNumFields]bool
}

// mappingMaxSize bounds a mapping file: it is a short configuration file.
const mappingMaxSize = 1 << 20

// LoadMapping reads and compiles a mapping file. Problems are
// audit.InputErrors located in the file (`mapping.yaml:7:12: fields.country:
// ...`), all of them at once.
func LoadMapping(path string) (*Mapping, error) {
	name := filepath.ToSlash(path)
	data, err := os.ReadFile(path)
	if err != nil {
		var errs audit.InputErrors
		errs.Add(name, 0, 0, "", "%s", logErrText(err))
		return nil, errs.Err()
	}
	return ParseMapping(name, data)
}

// Input is the mapping file as a run input (kind "mapping"), so that the
// run's integrity envelope says how foreign logs were read.
func (m *Mapping) Input() audit.InputFile { return m.file }

// mappingKind is what a v1 field's expression must give.
type mappingKind uint8

const (
	mappingTime    mappingKind = iota // timestamp or RFC 3339 string
	mappingString                     // string
	mappingConsent                    // string or bool
	mappingCount                      // int, uint or integral double, ≥ 0
	mappingItems                      // list of strings
)

func mappingKindOf(field int) mappingKind {
	switch field {
	case logFieldTS:
		return mappingTime
	case logFieldItems:
		return mappingItems
	case logFieldConsent:
		return mappingConsent
	case logFieldRecords, logFieldSubjects, logFieldBytes:
		return mappingCount
	}
	return mappingString
}

var mappingWant = [...]string{
	mappingTime:    "a timestamp or an RFC 3339 string",
	mappingString:  "a string",
	mappingConsent: "a string or a bool",
	mappingCount:   "an integer",
	mappingItems:   "a list of strings",
}

// mappingEnv is the CEL environment of mappings, built once per process.
var mappingEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("record", cel.MapType(cel.StringType, cel.DynType)),
		cel.OptionalTypes(),
		ext.Strings(),
		ext.Lists(),
		ext.Encoders(),
		cel.CrossTypeNumericComparisons(true),
	)
})

// ParseMapping compiles a mapping read from name (used in error
// locations only).
func ParseMapping(name string, data []byte) (*Mapping, error) {
	var errs audit.InputErrors
	fail := func(n *yaml.Node, field, format string, args ...any) {
		line, col := 0, 0
		if n != nil {
			line, col = n.Line, n.Column
		}
		errs.Add(name, line, col, field, format, args...)
	}
	if len(data) > mappingMaxSize {
		fail(nil, "", "mapping larger than %d bytes", mappingMaxSize)
		return nil, errs.Err()
	}
	var doc yaml.Node
	if err := yamltext.Unmarshal(data, &doc); err != nil {
		errs.Add(name, err.Line, err.Col, "", "%v", err)
		return nil, errs.Err()
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" { // nothing, or only `---`
		fail(nil, "", "empty mapping (want format and fields)")
		return nil, errs.Err()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		fail(root, "", "want a mapping with format and fields")
		return nil, errs.Err()
	}
	sum := sha256.Sum256(data)
	m := &Mapping{file: audit.InputFile{Path: name, SHA256: hex.EncodeToString(sum[:]), Kind: "mapping", Size: int64(len(data))}}
	var format, fields *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			fail(k, k.Value, "given twice")
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "apiVersion":
			if v.Kind != yaml.ScalarNode || v.Value != "xborder/v1" {
				fail(v, k.Value, "want xborder/v1")
			}
		case "kind":
			if v.Kind != yaml.ScalarNode || v.Value != "LogMapping" {
				fail(v, k.Value, "want LogMapping")
			}
		case "format":
			format = v
		case "fields":
			fields = v
		default:
			fail(k, k.Value, "unknown field (want apiVersion, kind, format, fields)")
		}
	}
	switch {
	case format == nil:
		fail(root, "format", "required: json or csv")
	case format.Kind != yaml.ScalarNode || (format.Value != "json" && format.Value != "csv"):
		fail(format, "format", "want json or csv")
	default:
		m.csv = format.Value == "csv"
	}
	if fields == nil {
		fail(root, "fields", "required: a CEL expression for each v1 field read (ts and items at least)")
		return nil, errs.Err()
	}
	if fields.Kind != yaml.MappingNode {
		fail(fields, "fields", "want a mapping from v1 field names to CEL expressions")
		return nil, errs.Err()
	}
	env, err := mappingEnv()
	if err != nil {
		// A programming error in this build, not a user problem.
		panic(fmt.Sprintf("collectors: mapping CEL environment: %v", err))
	}
	lines := bytes.Split(data, []byte{'\n'})
	var given [logNumFields]bool
	keys, allKeys := map[string]string{}, false
	for i := 0; i+1 < len(fields.Content); i += 2 {
		k, v := fields.Content[i], fields.Content[i+1]
		path := "fields." + k.Value
		field := logFieldOf([]byte(k.Value))
		switch {
		case field < 0:
			fail(k, path, "unknown field (v1 fields: %s)", strings.Join(logFieldNames[:], ", "))
			continue
		case given[field]:
			fail(k, path, "given twice")
			continue
		}
		given[field] = true
		if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" { // null, "" or an empty block
			fail(v, path, "want a CEL expression")
			continue
		}
		ast, iss := env.Compile(v.Value)
		if iss != nil && iss.Err() != nil {
			for _, e := range iss.Errors() {
				line, col := mappingLocate(v, lines, e.Location.Line(), e.Location.Column())
				errs.Add(name, line, col, path, "%s", e.Message)
			}
			continue
		}
		kind := mappingKindOf(field)
		if !mappingTypeOK(kind, ast.OutputType()) {
			fail(v, path, "the expression gives %s, want %s (or null)", ast.OutputType(), mappingWant[kind])
			continue
		}
		// A mapping file can come from anyone who ships logs: bound what one
		// expression may cost per record, so a hostile one is a bad line, not
		// a stalled audit.
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(mappingCostLimit))
		if err != nil {
			fail(v, path, "%v", err)
			continue
		}
		m.fields[field] = prg
		m.direct[field], m.orNull[field] = mappingDirectKey(ast.NativeRep().Expr())
		if !mappingKeysOf(ast.NativeRep(), keys) {
			allKeys = true
		}
	}
	if !allKeys {
		m.keys = keys
	}
	for _, f := range []int{logFieldTS, logFieldItems} {
		if !given[f] {
			fail(fields, "fields."+logFieldNames[f], "required")
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// mappingKeysOf adds to keys the top-level keys of `record` an expression
// selects with a constant (record.x, record["x"], record.?x, record[?"x"],
// has(record.x)), and says whether that is all it does with `record`: an
// expression that passes `record` whole anywhere else (a function, a
// comprehension, a comparison) may read any key.
func mappingKeysOf(a *celast.AST, keys map[string]string) bool {
	isRecord := func(e celast.Expr) bool {
		return e.Kind() == celast.IdentKind && e.AsIdent() == "record"
	}
	uses, selects := 0, 0
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if isRecord(e) {
				uses++
			}
		case celast.SelectKind:
			if s := e.AsSelect(); isRecord(s.Operand()) {
				selects++
				keys[s.FieldName()] = s.FieldName()
			}
		case celast.CallKind:
			c := e.AsCall()
			switch c.FunctionName() {
			case operators.Index, operators.OptIndex, operators.OptSelect:
				if args := c.Args(); !c.IsMemberFunction() && len(args) == 2 && isRecord(args[0]) &&
					args[1].Kind() == celast.LiteralKind {
					if k, ok := args[1].AsLiteral().(types.String); ok {
						selects++
						keys[string(k)] = string(k)
					}
				}
			}
		}
	}))
	return uses == selects
}

// mappingDirectKey is the key an expression only selects from `record`
// (record.x, record["x"]), or ""; orNull says it is the optional
// selection record.?x.orValue(null).
func mappingDirectKey(e celast.Expr) (key string, orNull bool) {
	isRecord := func(e celast.Expr) bool {
		return e.Kind() == celast.IdentKind && e.AsIdent() == "record"
	}
	switch e.Kind() {
	case celast.SelectKind:
		if s := e.AsSelect(); !s.IsTestOnly() && isRecord(s.Operand()) {
			return s.FieldName(), false
		}
	case celast.CallKind:
		c := e.AsCall()
		if c.FunctionName() == "orValue" && c.IsMemberFunction() && len(c.Args()) == 1 &&
			c.Args()[0].Kind() == celast.LiteralKind && c.Args()[0].AsLiteral() == types.NullValue &&
			c.Target().Kind() == celast.CallKind {
			if t := c.Target().AsCall(); t.FunctionName() == operators.OptSelect || t.FunctionName() == operators.OptIndex {
				c = t
				orNull = true
			}
		}
		if args := c.Args(); (c.FunctionName() == operators.Index || orNull) && !c.IsMemberFunction() && len(args) == 2 &&
			isRecord(args[0]) && args[1].Kind() == celast.LiteralKind {
			if k, ok := args[1].AsLiteral().(types.String); ok {
				return string(k), orNull
			}
		}
	}
	return "", false
}

// mappingLocate turns a position in an expression (CEL: line 1-based,
// column 0-based) into one in the mapping file.
// mappingCostLimit bounds one field expression's evaluation of one record,
// in CEL cost units (a few hundred microseconds): ample for field access,
// splitting and timestamp parsing, far below a pathological comprehension.
const mappingCostLimit = 100_000

func mappingLocate(v *yaml.Node, lines [][]byte, line, col int) (int, int) {
	if line < 1 {
		return v.Line, v.Column
	}
	switch v.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The expression starts on the line after the indicator; the
		// block's indentation is that of its first line.
		indent := 0
		if v.Line < len(lines) {
			indent = len(lines[v.Line]) - len(bytes.TrimLeft(lines[v.Line], " "))
		}
		return v.Line + line, indent + col + 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line == 1 {
			return v.Line, v.Column + 1 + col
		}
	default:
		if line == 1 {
			return v.Line, v.Column + col
		}
	}
	return v.Line + line - 1, 0
}

// mappingTypeOK says whether an expression's static type can give the kind
// (dyn is checked per record).
func mappingTypeOK(kind mappingKind, t *types.Type) bool {
	switch t.Kind() {
	case types.DynKind, types.AnyKind, types.NullTypeKind:
		return true
	case types.OpaqueKind:
		if t.TypeName() == types.OptionalType.TypeName() && len(t.Parameters()) == 1 {
			return mappingTypeOK(kind, t.Parameters()[0])
		}
		return false
	case types.TimestampKind:
		return kind == mappingTime
	case types.StringKind:
		return kind == mappingTime || kind == mappingString || kind == mappingConsent
	case types.BoolKind:
		return kind == mappingConsent
	case types.IntKind, types.UintKind, types.DoubleKind:
		return kind == mappingCount
	case types.ListKind:
		if kind != mappingItems {
			return false
		}
		switch e := t.Parameters()[0]; e.Kind() {
		case types.StringKind, types.DynKind, types.AnyKind:
			return true
		}
	}
	return false
}

// mappingActivation is the one variable of a mapping's expressions. A
// worker reuses it for every record.
type mappingActivation struct{ record ref.Val }

func (a *mappingActivation) ResolveName(name string) (any, bool) {
	if name == "record" {
		return a.record, true
	}
	return nil, false
}

func (a *mappingActivation) Parent() interpreter.Activation { return nil }

// mappingReader is one worker's evaluator: its source record, activation
// and scratch space, reused from record to record.
type mappingReader struct {
	m     *Mapping
	syms  *logSyms
	act   mappingActivation
	obj   map[string]ref.Val // the current JSON record's keys read
	row   map[string]string  // the current CSV row
	csv   *logCSV            // splits CSV rows
	b     []byte
	canon []byte
	list  []*logSym
}

func newMappingReader(m *Mapping, syms *logSyms) *mappingReader {
	return &mappingReader{m: m, syms: syms, obj: map[string]ref.Val{}, row: map[string]string{}, csv: newLogCSV(syms)}
}

// logMappedBad is why a mapped record is bad, with its text; the text never
// holds a value from the record.
type logMappedBad struct {
	ok, blank bool
	reason    string
}

// json reads one JSON Lines line into r.
func (mr *mappingReader) json(line []byte, r *logRecord) logMappedBad {
	r.reset()
	if len(bytes.TrimSpace(line)) == 0 {
		return logMappedBad{blank: true}
	}
	// The whole line is validated, also the values no expression reads: a
	// line that is not JSON is a bad line whatever the mapping.
	if !json.Valid(line) {
		var v any
		if se, ok := json.Unmarshal(line, &v).(*json.SyntaxError); ok {
			return logMappedBad{reason: fmt.Sprintf("invalid json at byte %d", se.Offset)}
		}
		return logMappedBad{reason: "invalid json"}
	}
	clear(mr.obj)
	// One string for the whole line: the string values read are slices of
	// it, one allocation per record instead of one per value.
	s := string(line)
	i := mappingJSONSpace(s, 0)
	switch {
	case s[i] == 'n':
		// encoding/json reads null as an empty record; so do we.
	case s[i] != '{' || !mappingJSONObject(s, i, mr.obj, mr.m.keys):
		return logMappedBad{reason: "not a json object"}
	}
	// A fresh wrapper per record: it caches the record's size for cost
	// accounting. The values are CEL values already, so no reflection.
	mr.act.record = types.NewMap(types.DefaultTypeAdapter, mr.obj)
	return mr.eval(r, mr.obj)
}

// The JSON reader below decodes a line that json.Valid accepted into CEL
// values directly, instead of encoding/json into map[string]any and the
// CEL adapter's reflection over it, which was most of the cost of a mapped
// record; and it decodes only the top-level keys the mapping reads,
// stepping over the others without allocating. Because the line is valid,
// stepping over a value only needs to match quotes and brackets. What it
// gives is what encoding/json and the adapter gave: strings with escapes or
// invalid UTF-8 are unquoted by encoding/json, numbers are float64 (a
// number out of float64 range anywhere makes the line "not a json object",
// as in encoding/json), a key given twice keeps its last value. It works
// on the line as a string, so that the values it gives share its memory.

// mappingJSONSpace skips JSON white space from b[i].
func mappingJSONSpace(b string, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// mappingJSONStringEnd is the index past the string at b[i] == '"'.
func mappingJSONStringEnd(b string, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// mappingJSONValueEnd is the index past the value at b[i]; ok is false if
// the value holds a number out of float64 range.
func mappingJSONValueEnd(b string, i int) (end int, ok bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			i = mappingJSONStringEnd(b, i)
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			depth--
			i++
		case c == '-' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(b) && strings.IndexByte("+-.eE0123456789", b[j]) >= 0 {
				j++
			}
			if !mappingJSONNumberOK(b[i:j]) {
				return j, false
			}
			i = j
		case 'a' <= c && c <= 'z': // true, false, null
			for i < len(b) && 'a' <= b[i] && b[i] <= 'z' {
				i++
			}
		default: // white space, ',' or ':' inside an array or object
			i++
		}
		if depth == 0 {
			return i, true
		}
	}
	return i, true
}

// mappingJSONNumberOK says whether a JSON number is within float64 range;
// only one with an exponent or hundreds of digits can be out of it.
func mappingJSONNumberOK(n string) bool {
	if len(n) < 300 && strings.IndexAny(n, "eE") < 0 {
		return true
	}
	_, err := strconv.ParseFloat(n, 64)
	return err == nil
}

// mappingJSONString unquotes the JSON string q (with its quotes).
func mappingJSONString(q string) string {
	s := q[1 : len(q)-1]
	if strings.IndexByte(s, '\\') < 0 && utf8.ValidString(s) {
		return s
	}
	var v string
	_ = json.Unmarshal([]byte(q), &v) // valid JSON: cannot fail
	return v
}

// mappingJSONObject decodes the object at b[i] == '{' into obj: every key
// if keys is nil, else only those in keys. It is false if the object holds
// a number out of float64 range.
func mappingJSONObject(b string, i int, obj map[string]ref.Val, keys map[string]string) bool {
	i = mappingJSONSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] == ',' {
			i = mappingJSONSpace(b, i+1)
		}
		kEnd := mappingJSONStringEnd(b, i)
		q := b[i:kEnd]
		i = mappingJSONSpace(b, mappingJSONSpace(b, kEnd)+1) // past ':'
		end, ok := mappingJSONValueEnd(b, i)
		if !ok {
			return false
		}
		var key string
		if keys == nil {
			key = mappingJSONString(q)
		} else if s := q[1 : len(q)-1]; strings.IndexByte(s, '\\') < 0 {
			key, ok = keys[s]
		} else {
			key, ok = keys[mappingJSONString(q)]
		}
		if ok {
			if obj[key], ok = mappingJSONValue(b[i:end]); !ok {
				return false
			}
		}
		i = mappingJSONSpace(b, end)
	}
	return true
}

// mappingJSONValue decodes one valid JSON value as CEL would see
// encoding/json's decoding of it.
func mappingJSONValue(v string) (ref.Val, bool) {
	switch v[0] {
	case '"':
		return types.String(mappingJSONString(v)), true
	case 't':
		return types.True, true
	case 'f':
		return types.False, true
	case 'n':
		return types.NullValue, true
	case '{':
		obj := map[string]ref.Val{}
		if !mappingJSONObject(v, 0, obj, nil) {
			return nil, false
		}
		return types.NewMap(types.DefaultTypeAdapter, obj), true
	case '[':
		// Gather on the stack, then one allocation of the right size.
		var buf [16]ref.Val
		elems := buf[:0]
		for i := mappingJSONSpace(v, 1); i < len(v) && v[i] != ']'; {
			if v[i] == ',' {
				i = mappingJSONSpace(v, i+1)
			}
			end, _ := mappingJSONValueEnd(v, i)
			e, ok := mappingJSONValue(v[i:end])
			if !ok {
				return nil, false
			}
			elems = append(elems, e)
			i = mappingJSONSpace(v, end)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, slices.Clone(elems)), true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, false
	}
	return types.Double(f), true
}

// csvRow reads one CSV record (without its terminator) into r; names are
// the header's column names. Every column is in the record, an empty cell
// as "" (which a string field takes as absent).
func (mr *mappingReader) csvRow(rec []byte, names []string, r *logRecord) logMappedBad {
	r.reset()
	if len(rec) == 0 {
		return logMappedBad{blank: true}
	}
	fields, bad := mr.csv.split(rec)
	if bad.code != logOK {
		return logMappedBad{reason: bad.reason()}
	}
	if len(fields) != len(names) {
		return logMappedBad{reason: logBad{code: logBadCSVFields, a: len(fields), b: len(names)}.reason()}
	}
	for i, f := range fields {
		mr.row[names[i]] = string(logTrimSpace(f))
	}
	mr.act.record = types.DefaultTypeAdapter.NativeToValue(mr.row)
	return mr.eval(r, nil)
}

// eval evaluates every field's expression over the current record; obj
// is the decoded JSON record, for the fields read directly (nil for CSV).
func (mr *mappingReader) eval(r *logRecord, obj map[string]ref.Val) logMappedBad {
	for field, prg := range mr.m.fields {
		if prg == nil {
			continue
		}
		var v ref.Val
		if key := mr.m.direct[field]; key != "" && obj != nil {
			var ok bool
			if v, ok = obj[key]; !ok && mr.m.orNull[field] {
				v = types.NullValue
			} else if !ok {
				// CEL's own error for a missing key.
				return logMappedBad{reason: "fields." + logFieldNames[field] + ": " + mappingErrText(errors.New("no such key: "+key))}
			}
		} else {
			var err error
			if v, _, err = prg.Eval(&mr.act); err != nil {
				return logMappedBad{reason: "fields." + logFieldNames[field] + ": " + mappingErrText(err)}
			}
		}
		if msg := mr.set(field, v, r); msg != "" {
			return logMappedBad{reason: "fields." + logFieldNames[field] + ": " + msg}
		}
	}
	if bad := logCheck(r); bad.code != logOK {
		return logMappedBad{reason: bad.reason()}
	}
	return logMappedBad{ok: true}
}

// mappingErrText is a CEL evaluation error without any value it may quote:
// the text is cut at the first quote.
func mappingErrText(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "\"'`"); i >= 0 {
		s = strings.TrimRight(s[:i], " :(")
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// set stores the value of one field in r; it returns what is wrong with
// the value, or "".
func (mr *mappingReader) set(field int, v ref.Val, r *logRecord) string {
	if o, ok := v.(*types.Optional); ok {
		if !o.HasValue() {
			r.clear(field)
			return ""
		}
		v = o.GetValue()
	}
	if v == types.NullValue {
		r.clear(field)
		return ""
	}
	kind := mappingKindOf(field)
	switch kind {
	case mappingTime:
		switch t := v.(type) {
		case types.Timestamp:
			r.setTime(t.Unix())
			return ""
		case types.String:
			if secs, ok := logParseTime([]byte(t)); ok {
				r.setTime(secs)
				return ""
			}
			return "not RFC 3339"
		}
	case mappingString, mappingConsent:
		switch s := v.(type) {
		case types.String:
			mr.b = append(mr.b[:0], s...)
			mr.syms.setString(r, field, mr.b, &mr.canon)
			return ""
		case types.Bool:
			if kind == mappingConsent {
				if s {
					r.seen |= 1 << field
					r.consent = true
				} else {
					r.clear(field)
				}
				return ""
			}
		}
	case mappingCount:
		var n int64
		switch x := v.(type) {
		case types.Int:
			n = int64(x)
		case types.Uint:
			if x > math.MaxInt64 {
				return "out of range"
			}
			n = int64(x)
		case types.Double:
			f := float64(x)
			if f != math.Trunc(f) || math.IsInf(f, 0) {
				return "not an integer"
			}
			if f >= math.MaxInt64 || f <= math.MinInt64 {
				return "out of range"
			}
			n = int64(f)
		default:
			return fmt.Sprintf("got %s, want %s", v.Type().TypeName(), mappingWant[kind])
		}
		if n < 0 {
			return "negative"
		}
		r.setCount(field, n)
		return ""
	case mappingItems:
		l, ok := v.(traits.Lister)
		if !ok {
			break
		}
		list := mr.list[:0]
		for it := l.Iterator(); it.HasNext() == types.True; {
			s, ok := it.Next().(types.String)
			if !ok {
				return "an item is not a string"
			}
			if len(s) > 0 {
				mr.b = append(mr.b[:0], s...)
				list = logAddSym(list, mr.syms.item.get(mr.b))
			}
		}
		list = logDedupSyms(list)
		mr.list = list
		r.itemSet, r.items = nil, append(r.items[:0], list...)
		r.seen |= 1 << logFieldItems
		return ""
	}
	return fmt.Sprintf("got %s, want %s", v.Type().TypeName(), mappingWant[kind])
}

// setTime sets `ts` from Unix seconds.
func (r *logRecord) setTime(secs int64) {
	r.ts, r.day = secs, logKSTDay(secs)
	r.seen |= 1 << logFieldTS
}

// mappingCSVHeader reads a mapped CSV file's header: its column names,
// trimmed, each once.
func mappingCSVHeader(fields [][]byte) ([]string, []string) {
	names := make([]string, len(fields))
	var problems []string
	for i, f := range fields {
		names[i] = string(logTrimSpace(f))
		if slices.Contains(names[:i], names[i]) {
			problems = append(problems, fmt.Sprintf("duplicate column %q", names[i]))
		}
	}
	return names, problems
}

// kindOf tells whether a file is read through the mapping: JSON sources
// are .jsonl, .ndjson, .json and .log files, CSV sources .csv files, each
// optionally .gz or .zst.
func (m *Mapping) kindOf(name string) (csv bool, comp logCompression, ok bool) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".gz"):
		comp, lower = logCompGzip, strings.TrimSuffix(lower, ".gz")
	case strings.HasSuffix(lower, ".zst"):
		comp, lower = logCompZstd, strings.TrimSuffix(lower, ".zst")
	}
	ext := filepath.Ext(lower)
	if m.csv {
		return true, comp, ext == ".csv"
	}
	switch ext {
	case ".jsonl", ".ndjson", ".json", ".log":
		return false, comp, true
	}
	return false, logCompNone, false
}

// formats names the files kindOf accepts, for errors.
func (m *Mapping) formats() string {
	if m.csv {
		return ".csv (the mapping's format)"
	}
	return ".jsonl, .ndjson, .json or .log (the mapping's format)"
}

// mappedChunk reads a chunk of a file through the mapping.
func (a *logAcc) mappedChunk(mr *mappingReader, r *logRecord, st *logFileStats, ch logChunk) {
	data, line := ch.data, ch.line
	for i := 0; i < len(data); {
		var end int
		if ch.file.csv {
			end = logCSVRecordEnd(data, i)
		} else if k := bytes.IndexByte(data[i:], '\n'); k >= 0 {
			end = i + k
		} else {
			end = len(data)
		}
		rec := data[i:end]
		nl := int64(0)
		if ch.file.csv && bytes.IndexByte(rec, '"') >= 0 {
			nl = int64(bytes.Count(rec, []byte{'\n'}))
		}
		if k := len(rec); k > 0 && rec[k-1] == '\r' {
			rec = rec[:k-1]
		}
		var res logMappedBad
		if ch.file.csv {
			res = mr.csvRow(rec, ch.file.names, r)
		} else {
			res = mr.json(rec, r)
		}
		switch {
		case res.blank:
		case res.ok:
			st.lines++
			a.add(st, r)
		default:
			st.lines++
			st.addBadText(line, res.reason)
		}
		line += 1 + nl
		i = end + 1
	}
}

package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// astValue converts a Go value into the Rego value its JSON encoding
// decodes to (encoding/json's rules: field names and omitempty/omitzero from
// the json tags, embedded structs flattened, nil slices and pointers as
// null, numbers as written by json.Marshal), without writing and parsing
// the JSON: for a check over 500 manifests the round trip cost more than
// evaluating half of the rules. TestASTValueMatchesJSON keeps the two equal
// for every type of audit.Input.
func astValue(v any) (ast.Value, error) {
	if v == nil {
		return ast.NullValue, nil
	}
	rv := reflect.ValueOf(v)
	return converterFor(rv.Type())(rv)
}

// converter turns one Go value of a known type into a Rego value.
type converter func(reflect.Value) (ast.Value, error)

var (
	jsonNumberType = reflect.TypeFor[json.Number]()
	marshalerType  = reflect.TypeFor[json.Marshaler]()
	textMarshaler  = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()

	converters sync.Map // reflect.Type → converter
)

// converterFor returns the converter of a type, built once per type like
// encoding/json's encoders.
func converterFor(t reflect.Type) converter {
	if c, ok := converters.Load(t); ok {
		return c.(converter)
	}
	// A recursive type reaches itself while its converter is built: give
	// it an indirection that finds the finished converter.
	var (
		wg sync.WaitGroup
		c  converter
	)
	wg.Add(1)
	if prev, loaded := converters.LoadOrStore(t, converter(func(v reflect.Value) (ast.Value, error) {
		wg.Wait()
		return c(v)
	})); loaded {
		return prev.(converter)
	}
	c = newConverter(t)
	wg.Done()
	converters.Store(t, c)
	return c
}

func newConverter(t reflect.Type) converter {
	if t == jsonNumberType {
		return func(v reflect.Value) (ast.Value, error) {
			n := v.String()
			if n == "" {
				n = "0" // what json.Marshal writes for an empty json.Number
			}
			return ast.InterfaceToValue(json.Number(n))
		}
	}
	if t.Implements(marshalerType) || t.Implements(textMarshaler) ||
		(t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshaler))) {
		return viaJSON
	}
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value) (ast.Value, error) { return ast.String(jsonString(v.String())), nil }
	case reflect.Bool:
		return func(v reflect.Value) (ast.Value, error) { return ast.Boolean(v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) (ast.Value, error) { return ast.Number(strconv.FormatInt(v.Int(), 10)), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(v reflect.Value) (ast.Value, error) { return ast.Number(strconv.FormatUint(v.Uint(), 10)), nil }
	case reflect.Interface:
		return func(v reflect.Value) (ast.Value, error) {
			if v.IsNil() {
				return ast.NullValue, nil
			}
			e := v.Elem()
			return converterFor(e.Type())(e)
		}
	case reflect.Pointer:
		elem := t.Elem()
		return func(v reflect.Value) (ast.Value, error) {
			if v.IsNil() {
				return ast.NullValue, nil
			}
			return converterFor(elem)(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return viaJSON // []byte is base64 text
		}
		elem := t.Elem()
		return func(v reflect.Value) (ast.Value, error) {
			if v.Kind() == reflect.Slice && v.IsNil() {
				return ast.NullValue, nil
			}
			conv := converterFor(elem)
			terms := make([]*ast.Term, v.Len())
			for i := range terms {
				x, err := conv(v.Index(i))
				if err != nil {
					return nil, err
				}
				terms[i] = ast.NewTerm(x)
			}
			return ast.NewArray(terms...), nil
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return viaJSON // integer or text-marshalled keys
		}
		elem := t.Elem()
		return func(v reflect.Value) (ast.Value, error) {
			if v.IsNil() {
				return ast.NullValue, nil
			}
			conv := converterFor(elem)
			obj := ast.NewObjectWithCapacity(v.Len())
			for it := v.MapRange(); it.Next(); {
				x, err := conv(it.Value())
				if err != nil {
					return nil, err
				}
				obj.Insert(ast.StringTerm(jsonString(it.Key().String())), ast.NewTerm(x))
			}
			return obj, nil
		}
	case reflect.Struct:
		plan := planOf(t)
		return func(v reflect.Value) (ast.Value, error) {
			obj := ast.NewObjectWithCapacity(len(plan))
			for i := range plan {
				f := &plan[i]
				fv, ok := fieldByIndex(v, f.index)
				if !ok || (f.omitEmpty && isEmpty(fv)) || (f.omitZero && isZero(fv)) {
					continue
				}
				x, err := converterFor(f.typ)(fv)
				if err != nil {
					return nil, err
				}
				obj.Insert(f.key, ast.NewTerm(x))
			}
			return obj, nil
		}
	}
	return viaJSON // floats (json.Marshal's formatting and its NaN error), channels, functions
}

// viaJSON converts the values astValue does not build itself the slow way.
func viaJSON(v reflect.Value) (ast.Value, error) {
	if !v.IsValid() {
		return ast.NullValue, nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, err
	}
	return ast.ValueFromReader(bytes.NewReader(b))
}

// jsonString is s as it comes back from JSON: json.Marshal replaces each
// byte of invalid UTF-8 with U+FFFD.
func jsonString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\ufffd")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// fieldByIndex is v.FieldByIndex that reports a nil embedded pointer
// instead of panicking (encoding/json skips the fields behind it).
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero is encoding/json's omitzero test.
func isZero(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

// field is one JSON field of a struct type.
type field struct {
	name                string
	key                 *ast.Term // the name as a Rego string, shared by every object of the type
	typ                 reflect.Type
	index               []int
	omitEmpty, omitZero bool
}

// planOf lists the JSON fields of a struct type the way encoding/json
// does: exported fields, renamed by their tags, "-" skipped, untagged
// embedded structs flattened, a shallower field hiding a deeper one of the
// same name and two at the same depth hiding each other unless one is
// tagged.
func planOf(t reflect.Type) []field {
	type candidate struct {
		field
		depth  int
		tagged bool
	}
	var all []candidate
	var walk func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx, depth+1, seen)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			c := candidate{field: field{name: name, index: idx}, depth: depth, tagged: name != ""}
			if c.name == "" {
				c.name = sf.Name
			}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty":
					c.omitEmpty = true
				case "omitzero":
					c.omitZero = true
				case "string":
					panic(fmt.Sprintf("policies: the ,string json option of %s.%s is not supported", t, sf.Name))
				}
			}
			all = append(all, c)
		}
	}
	walk(t, nil, 0, map[reflect.Type]bool{})
	byName := map[string][]candidate{}
	var order []string
	for _, c := range all {
		if _, ok := byName[c.name]; !ok {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	var out []field
	for _, name := range order {
		cs := byName[name]
		best := cs[0]
		for _, c := range cs[1:] {
			if c.depth < best.depth {
				best = c
			}
		}
		var dominant []candidate
		for _, c := range cs {
			if c.depth == best.depth {
				dominant = append(dominant, c)
			}
		}
		if len(dominant) > 1 {
			var tagged []candidate
			for _, c := range dominant {
				if c.tagged {
					tagged = append(tagged, c)
				}
			}
			if len(tagged) != 1 {
				continue // ambiguous: encoding/json drops the name
			}
			best = tagged[0]
		}
		f := best.field
		f.key = ast.StringTerm(f.name)
		f.typ = t.FieldByIndex(f.index).Type
		out = append(out, f)
	}
	return out
}

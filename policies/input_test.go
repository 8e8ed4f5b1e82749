package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/xborder/xborder/internal/audit"
)

// fill sets every field reachable from v to a non-zero value (two elements
// per slice and map, invalid UTF-8 and HTML characters in strings), so that
// a field added to audit.Input later is covered without touching the test.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s<%d>&\xff\u2028é", depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(-12345678901 % (1 << (8*v.Type().Size() - 1))))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, depth+1)
			if k.Kind() == reflect.String {
				k.SetString(fmt.Sprintf("%s-%d", k.String(), i))
			}
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{
			"n": json.Number("1e3"), "f": 0.5, "i": 3, "s": "x\xfe", "b": false, "z": nil,
			"l": []any{json.Number("-2"), "y", map[string]any{}}, "e": []string{},
		}))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}

func viaRoundTrip(t *testing.T, in *audit.Input) ast.Value {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestASTValueMatchesJSON proves that the policy input Evaluate builds
// directly is the value the JSON round trip it replaces gave: same fields,
// omissions, nulls, numbers and strings.
func TestASTValueMatchesJSON(t *testing.T) {
	var full audit.Input
	fill(reflect.ValueOf(&full).Elem(), 0)
	empty := audit.NewInput(audit.ModeCheck, "2024-03-08", &audit.Manifests{})
	empty.Flows["f"] = audit.DataFlow{NecessaryItems: []string{}, Countries: nil, Items: []string{}}
	inputs := map[string]*audit.Input{
		"every field set": &full,
		"zero":            {},
		"empty lists":     empty,
		"kakaopay":        kakaoPay(0),
		"bench":           benchInput(),
		"check 500":       checkInput(500),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want := viaRoundTrip(t, in)
			got, err := astValue(in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Compare(want) != 0 {
				t.Errorf("astValue differs from the JSON round trip:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestASTValueFloatErrors keeps json.Marshal's refusal of NaN: a parameter
// that cannot be written as JSON is an error, not a silent null.
func TestASTValueFloatErrors(t *testing.T) {
	in := &audit.Input{Params: map[string]any{"x": nan()}}
	if _, err := astValue(in); err == nil {
		t.Fatal("astValue accepted NaN")
	}
}

func nan() float64 { z := 0.0; return z / z }

// BenchmarkInputValue is the conversion of the 500-flow check input.
func BenchmarkInputValue(b *testing.B) {
	in := checkInput(500)
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := astValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw, _ := json.Marshal(in)
			if _, err := ast.ValueFromReader(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

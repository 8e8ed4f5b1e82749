package policies

import "embed"

// builtinFS holds the embedded rule pack: the rules with their unit tests,
// the helper library and the reference data. Engine loads the rules without
// their _test.rego files; RunTests loads them all.
//
//go:embed rules/*.rego lib/*.rego data/*.json
var builtinFS embed.FS

// builtinPrefix is how embedded files are named in errors, rule sources and
// the policy digest: their path in the repository.
const builtinPrefix = "policies/"

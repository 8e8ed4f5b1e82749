// Package policies is xborder's policy engine: the embedded Rego rule pack
// (one rule per file under rules/, the helper library under lib/, reference
// data and parameter defaults under data/) and the OPA evaluation that turns
// an audit.Input into audit.Findings.
//
// The engine compiles the pack once, with any user policies (--policy) and
// extra data (--data), and prepares its queries over data.xborder.rules once:
// per mode (a check evaluates only the rules that need no observations), each
// mode's rule packages split into one part per core, compiled and evaluated
// at once (rules never read each other's results, so the parts' findings
// simply add up; see plan.go). Each Evaluate converts the input to an OPA
// value once, straight from the Go structs, and runs the mode's parts over
// it: Rego judges aggregated facts (flows, per-flow-per-day observations),
// never single log records, so one evaluation per run is enough (DESIGN §3).
//
// # Rule contract
//
// A rule is a Rego v1 module `package xborder.rules.<snake_id>` whose package
// carries a `# METADATA` block with title, description and
// custom: {id, severity, articles, title_ko, remediation, remediation_ko,
// needs}. It defines `deny contains f` where f is an object:
//
//	{"flow": name, "message": text, "evidence": {...},
//	 "field": "spec.legalBasis.overseas",   // optional: the manifest field
//	 "key": "discriminator",                  // optional: part of the fingerprint
//	 "recipient": name,                       // optional: a recipient finding
//	 "location": {"file": f, "line": n}}      // optional: neither flow nor recipient
//
// The engine joins the metadata by package, resolves the location (the flow's
// field, else the recipient's field, else the explicit location, else the
// organization) and fingerprints the finding with audit.Fingerprint(rule,
// flow, file, key); a recipient finding without a flow uses "recipient/<name>"
// in the flow slot, so that two recipients in one file do not collide.
//
// Evidence numbers are json.Number, exactly as OPA computed them, so that
// 40450000 stays 40450000 and 1.618 stays 1.618 in every output.
//
// # Data and parameters
//
// Data files (*.json; *.yaml and *.yml in --data directories) are objects merged
// at the root of `data`, later ones over earlier ones, objects key by key and
// everything else replaced. A file named params.json (params.yaml, params.yml)
// holds policy parameters instead: the embedded one has the defaults, a --data
// one may override them or add new ones, and Options.Params overrides the result.
// Rules read parameters from input.params and the date from input.asOf only.
//
// # Sandbox
//
// Every module, embedded or user-supplied, is compiled with OPA's capabilities
// minus the builtins that reach the network or read a clock or randomness
// (http.send, net.lookup_ip_addr, opa.runtime, time.now_ns, rand.intn,
// uuid.rfc4122, JWT signing and verification, x509 verification against the
// clock): a policy that calls one gets a located compile error.
package policies

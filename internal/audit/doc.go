// Package audit is xborder's vocabulary: the manifest kinds a company declares
// (Organization, Recipient, DataFlow), what its transfer logs show
// (Observation, Unmatched, DataQuality), what the policies judge (Input) and
// what they conclude (Finding, Rule, Run).
//
// It imports only the standard library. Every other package points inward to
// it: collectors build an Input, policies turn an Input into Findings, the
// store keeps Runs, reports render them. A newcomer who reads this package
// knows the whole model.
//
// The JSON names of these types are the Rego input (`input.flows[name].legalBasis.overseas`)
// and the JSON report envelope; they follow the manifest field names of DESIGN §5.1.
package audit

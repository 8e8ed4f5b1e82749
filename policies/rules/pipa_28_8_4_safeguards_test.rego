package xborder.rules.pipa_28_8_4_safeguards_test

import data.xborder.rules.pipa_28_8_4_safeguards as rule

flow := {
	"name": "seller-handoff",
	"recipient": "sellers",
	"countries": ["CN"],
	"type": "provision",
	"contract": {"signed": "2023-01-01", "clauses": ["safety", "purpose_limit"]},
}

run(f) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "shop", "country": "KR"},
		"recipients": {"sellers": {"name": "sellers", "country": "CN"}, "kr": {"name": "kr", "country": "KR"}},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_contract_lacks_clauses if {
	findings := run(flow)
	count(findings) == 1
	some f in findings
	f.flow == "seller-handoff"
	f.field == "spec.contract.clauses"
	f.key == "grievance,protection"
	f.evidence.missing == ["grievance", "protection"]
	f.evidence.contract == true
	f.evidence.countries == ["CN"]
	f.message == concat("", [
		"seller-handoff sends data to sellers, but its contract lacks the Decree 29-10 ",
		"clauses: grievance, protection",
	])
}

test_no_contract if {
	some f in run(object.remove(flow, ["contract"]))
	f.field == "spec.contract"
	f.key == "grievance,protection,safety"
	f.evidence.contract == false
	contains(f.message, "without a contract")
}

test_all_clauses_is_fine if {
	count(run(json.patch(flow, [
		{"op": "replace", "path": "/contract/clauses", "value": ["safety", "grievance", "protection"]},
	]))) == 0
}

test_domestic_flow_is_not_judged if {
	count(run(object.union(flow, {"recipient": "kr", "countries": ["KR"]}))) == 0
}

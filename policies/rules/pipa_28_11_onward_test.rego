package xborder.rules.pipa_28_11_onward_test

import data.xborder.rules.pipa_28_11_onward as rule

flows := {"buyer-handoff": {"name": "buyer-handoff", "recipient": "aliexpress", "countries": ["SG"]}}

aliexpress := {
	"name": "aliexpress",
	"country": "SG",
	"onward": {"recipients": 180000, "disclosed": 8000, "countries": ["worldwide"], "contractual": false},
}

good := {
	"name": "aliexpress",
	"country": "SG",
	"onward": {"recipients": 10, "disclosed": 10, "countries": ["CN"], "contractual": true},
}

run(r, fs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "shop", "country": "KR"},
		"recipients": {"aliexpress": r},
		"flows": fs,
		"observations": [],
		"params": {"onwardRecipients": 50},
	}
}

by_key(findings, key) := f if {
	some f in findings
	f.key == key
}

test_aliexpress_fires_every_branch if {
	findings := run(aliexpress, flows)
	{f.key | some f in findings} == {"count", "undisclosed", "countries", "contract"}
	every f in findings {
		f.recipient == "aliexpress"
		not f.flow
		f.evidence.flows == ["buyer-handoff"]
	}
	by_key(findings, "count").evidence.threshold == 50
	by_key(findings, "count").field == "spec.onward.recipients"
	by_key(findings, "undisclosed").evidence.undisclosed == 172000
	by_key(findings, "undisclosed").message == concat("", [
		"aliexpress passes the data on to 180,000 recipients, of which only 8,000 are ",
		"disclosed (4%)",
	])
	by_key(findings, "countries").evidence.countries == ["worldwide"]
	by_key(findings, "contract").field == "spec.onward.contractual"
}

test_unspecified_countries if {
	r := json.patch(good, [{"op": "remove", "path": "/onward/countries"}])
	findings := run(r, flows)
	count(findings) == 1
	some f in findings
	f.key == "countries"
	contains(f.message, "in unspecified countries")
}

test_bound_disclosed_few_recipients_is_fine if {
	count(run(good, flows)) == 0
}

test_recipient_without_flows_is_not_judged if {
	count(run(aliexpress, {})) == 0
}

test_no_onward_recipients_is_not_judged if {
	count(run(object.union(aliexpress, {"onward": {"recipients": 0, "disclosed": 0}}), flows)) == 0
}

package xborder.rules.pipa_30_policy_disclosure_test

import data.xborder.rules.pipa_30_policy_disclosure as rule

org := {
	"name": "shop",
	"country": "KR",
	"privacyPolicy": {
		"url": "https://shop.example/privacy",
		"updated": "2024-06-01",
		"discloses": ["listed"],
		"trustees": ["cloud"],
	},
}

recipients := {
	"cloud": {"name": "cloud", "country": "JP"},
	"courier": {"name": "courier", "country": "CN"},
	"pg": {"name": "pg", "country": "KR"},
}

flow(name, recipient, countries, type, basis) := {
	"name": name,
	"recipient": recipient,
	"countries": countries,
	"type": type,
	"legalBasis": {"overseas": basis},
	"reviewed": "2024-05-01",
}

run(o, flows) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": o,
		"recipients": recipients,
		"flows": {f.name: f | some f in flows},
		"observations": [],
	}
}

test_undisclosed_foreign_flow if {
	findings := run(org, [flow("seller-handoff", "courier", ["CN"], "provision", "consent")])
	count(findings) == 1
	some f in findings
	f.flow == "seller-handoff"
	f.key == "overseas"
	f.field == "spec.privacyPolicy.discloses"
	f.evidence.countries == ["CN"]
	f.evidence.discloses == ["listed"]
	f.message == concat("", [
		"seller-handoff transfers data to courier in CN, but the privacy policy's ",
		"overseas-transfer section does not list it",
	])
}

test_listed_flow_is_fine if {
	count(run(org, [flow("listed", "courier", ["CN"], "provision", "consent")])) == 0
}

test_contract_basis_is_left_to_contract_disclosure if {
	count(run(org, [flow("backup", "cloud", ["JP"], "storage", "contract")])) == 0
}

test_domestic_flow_is_fine if {
	count(run(org, [flow("pg-pay", "pg", ["KR"], "provision", "consent")])) == 0
}

test_trustee_missing_from_policy if {
	findings := run(org, [flow("delivery", "courier", ["CN"], "entrustment", "contract")])
	count(findings) == 1
	some f in findings
	f.recipient == "courier"
	not f.flow
	f.key == "trustee"
	f.evidence.flows == ["delivery"]
	f.evidence.trustees == ["cloud"]
}

test_no_policy_at_all if {
	findings := run({"name": "shop", "country": "KR"}, [flow("delivery", "courier", ["CN"], "entrustment", "consent")])
	{f.key | some f in findings} == {"overseas", "trustee"}
	some f in findings
	f.evidence.url == ""
}

test_policy_older_than_newest_review if {
	late := object.union(flow("listed", "courier", ["CN"], "provision", "consent"), {"reviewed": "2024-07-01"})
	later := object.union(flow("pg-pay", "pg", ["KR"], "provision", "consent"), {"reviewed": "2024-08-01"})
	findings := run(org, [late, later])
	count(findings) == 1
	some f in findings
	not f.flow
	not f.recipient
	f.key == "stale"
	f.field == "spec.privacyPolicy.updated"
	f.evidence.newestReviewed == "2024-08-01"
	f.evidence.flows == ["listed", "pg-pay"]
	f.message == concat("", [
		"the privacy policy was last updated on 2024-06-01, 61 days before the newest ",
		"manifest review (2024-08-01, pg-pay)",
	])
}

# A policy listing hundreds of flows is named in part and counted, not
# copied whole into every finding.
test_long_policy_list_is_capped if {
	listed := [sprintf("flow-%02d", [i]) | some i in numbers.range(1, 25)]
	long := object.union(org, {"privacyPolicy": object.union(org.privacyPolicy, {"discloses": listed})})
	findings := run(long, [flow("seller-handoff", "courier", ["CN"], "provision", "consent")])
	some f in findings
	f.key == "overseas"
	f.evidence.disclosesCount == 25
	f.evidence.discloses == array.slice(sort(listed), 0, 20)
	f.evidence.discloses[19] == "flow-20"
}

package xborder.rules.pipa_24_unique_id_rrn_test

import data.xborder.rules.pipa_24_unique_id_rrn as rule

flow := {
	"name": "seller-kyc",
	"recipient": "kyc",
	"countries": ["SG"],
	"items": ["name", "rrn"],
	"legalBasis": {"overseas": "consent", "provision": "consent"},
	"consent": {"separate": true, "separateProvision": true},
	"safeguards": {"identifiers": {"method": "aes-256-gcm"}},
}

o(items, protections) := {
	"flow": "seller-kyc",
	"day": "2025-02-01",
	"records": 1,
	"subjects": 1,
	"items": items,
	"countries": ["SG"],
	"protections": protections,
}

run(f, obs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-03-01",
		"organization": {"name": "temu", "country": "SG"},
		"recipients": {},
		"flows": {f.name: f},
		"observations": obs,
	}
}

statute := {"overseas": "law", "provision": "law", "citation": "Act X art. 5"}

test_rrn_on_consent if {
	findings := run(flow, [])
	count(findings) == 1
	some f in findings
	f.flow == "seller-kyc"
	f.key == "rrn"
	f.field == "spec.items"
	f.evidence.items == ["rrn"]
	f.evidence.legalBasis.provision == "consent"
}

test_rrn_with_statute_is_fine if {
	count(run(object.union(flow, {"legalBasis": statute}), [])) == 0
}

test_unique_id_without_separate_consent if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/items", "value": ["passport_number"]},
		{"op": "replace", "path": "/consent", "value": {"separate": false}},
	])
	findings := run(f0, [])
	count(findings) == 1
	some f in findings
	f.key == "unique-id"
	f.evidence.items == ["passport_number"]
	f.evidence["consent.separate"] == false
	f.evidence["consent.separateProvision"] == false
}

test_unique_id_with_separate_consent_is_fine if {
	count(run(object.union(flow, {"items": ["passport_number"]}), [])) == 0
}

test_observed_plain_rrn if {
	f0 := object.union(flow, {"legalBasis": statute, "items": ["name"]})
	findings := run(f0, [o(["rrn"], ["plain", "token"])])
	count(findings) == 1
	some f in findings
	f.key == "encryption"
	f.field == "spec.safeguards.identifiers.method"
	f.evidence.items == ["rrn"]
	f.evidence.method == "aes-256-gcm"
	f.evidence.observedProtections == ["plain", "token"]
	f.message == "seller-kyc sends rrn unencrypted (declared protection: aes-256-gcm; seen: plain, token)"
}

test_declared_plain if {
	f0 := object.union(flow, {"legalBasis": statute, "safeguards": {"identifiers": {"method": "plain"}}})
	some f in run(f0, [])
	f.key == "encryption"
}

test_nothing_declared_nothing_seen if {
	f0 := object.union(object.remove(flow, ["safeguards"]), {"legalBasis": statute})
	some f in run(f0, [])
	f.key == "encryption"
	f.message == "seller-kyc sends rrn unencrypted (declared protection: none; seen: none)"
}

test_nothing_declared_but_seen_protected if {
	f0 := object.union(object.remove(flow, ["safeguards"]), {"legalBasis": statute})
	count(run(f0, [o(["rrn"], ["aes-256-gcm"])])) == 0
}

test_no_unique_identifiers if {
	count(run(object.union(flow, {"items": ["name"], "safeguards": {"identifiers": {"method": "plain"}}}), [])) == 0
}

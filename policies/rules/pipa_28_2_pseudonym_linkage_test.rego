package xborder.rules.pipa_28_2_pseudonym_linkage_test

import data.xborder.rules.pipa_28_2_pseudonym_linkage as rule

flow := {
	"name": "alipay-nsf",
	"recipient": "alipay",
	"countries": ["SG"],
	"purposes": ["fraud_prevention"],
	"safeguards": {"pseudonymized": true, "identifiers": {"method": "sha256", "keyHolder": "controller"}},
}

run(f, r) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": r},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_recipient_purpose_reidentifies if {
	findings := run(flow, {"name": "alipay", "ownPurposes": ["nsf_scoring"]})
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.key == "purpose"
	f.field == "spec.safeguards.pseudonymized"
	f.evidence.reidentifyingPurposes == ["nsf_scoring"]
	f.evidence.recipientOwnPurposes == ["nsf_scoring"]
}

test_flow_purpose_reidentifies if {
	some f in run(object.union(flow, {"purposes": ["matching"]}), {"name": "alipay"})
	f.evidence.reidentifyingPurposes == ["matching"]
}

test_recipient_holds_the_key if {
	f0 := json.patch(flow, [{"op": "replace", "path": "/safeguards/identifiers/keyHolder", "value": "recipient"}])
	findings := run(f0, {"name": "alipay"})
	count(findings) == 1
	some f in findings
	f.key == "key"
	f.field == "spec.safeguards.identifiers.keyHolder"
	f.evidence.method == "sha256"
	f.message == concat("", [
		"alipay-nsf claims pseudonymised data, but the identifier key is held by the ",
		"recipient: alipay can re-identify the subjects",
	])
}

test_shared_key if {
	f0 := json.patch(flow, [{"op": "replace", "path": "/safeguards/identifiers/keyHolder", "value": "shared"}])
	some f in run(f0, {"name": "alipay"})
	contains(f.message, "held by both sides")
}

test_controller_key_and_plain_purpose_is_fine if {
	count(run(flow, {"name": "alipay"})) == 0
}

test_no_pseudonymisation_claim_is_not_judged if {
	safeguards := {"pseudonymized": false, "identifiers": {"keyHolder": "recipient"}}
	f0 := json.patch(flow, [{"op": "replace", "path": "/safeguards", "value": safeguards}])
	count(run(f0, {"name": "alipay", "ownPurposes": ["matching"]})) == 0
}

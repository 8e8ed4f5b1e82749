package xborder.rules.pipa_17_purpose_mismatch_test

import data.xborder.rules.pipa_17_purpose_mismatch as rule

flow := {
	"name": "alipay-overseas-payment",
	"recipient": "alipay",
	"countries": ["SG"],
	"purposes": ["settlement"],
	"consent": {"purposeText": "PG approval and settlement"},
}

alipay := {"name": "alipay", "country": "SG", "ownPurposes": ["nsf_scoring", "settlement"]}

run(f, r) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": r},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_own_purpose_not_stated if {
	findings := run(flow, alipay)
	count(findings) == 1
	some f in findings
	f.flow == "alipay-overseas-payment"
	f.field == "spec.purposes"
	f.key == "purposes"
	f.evidence.uncovered == ["nsf_scoring"]
	f.evidence.purposeText == "PG approval and settlement"
}

test_without_consent_text if {
	some f in run(object.remove(flow, ["consent"]), alipay)
	f.evidence.uncovered == ["nsf_scoring"]
	f.evidence.purposeText == ""
}

test_purpose_named_in_consent_text if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/consent/purposeText", "value": "Settlement and NSF scoring for Apple"},
	])
	count(run(f0, alipay)) == 0
}

test_purpose_id_in_consent_text if {
	f0 := json.patch(flow, [{"op": "replace", "path": "/consent/purposeText", "value": "settlement; nsf_scoring"}])
	count(run(f0, alipay)) == 0
}

test_purpose_declared_on_flow if {
	count(run(object.union(flow, {"purposes": ["settlement", "nsf_scoring"]}), alipay)) == 0
}

test_recipient_without_own_purposes if {
	count(run(flow, {"name": "alipay", "country": "SG"})) == 0
}

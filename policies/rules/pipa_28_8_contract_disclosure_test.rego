package xborder.rules.pipa_28_8_contract_disclosure_test

import data.xborder.rules.pipa_28_8_contract_disclosure as rule

flow := {
	"name": "aws-tokyo-storage",
	"recipient": "aws",
	"countries": ["JP", "KR"],
	"type": "storage",
	"legalBasis": {"overseas": "contract"},
}

org := {
	"name": "shop",
	"country": "KR",
	"privacyPolicy": {"url": "https://shop.example/privacy", "discloses": ["other"]},
}

run(f, o) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": o,
		"recipients": {"aws": {"name": "aws", "country": "JP"}},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_undisclosed_contract_transfer if {
	findings := run(flow, org)
	count(findings) == 1
	some f in findings
	f.flow == "aws-tokyo-storage"
	f.field == "spec.legalBasis.overseas"
	f.evidence["privacyPolicy.discloses"] == ["other"]
	f.evidence["notice.individual"] == false
	contains(f.message, "sends data to JP on the contract basis")
}

test_no_privacy_policy_at_all if {
	some f in run(flow, {"name": "shop", "country": "KR"})
	f.evidence["privacyPolicy.url"] == ""
	f.evidence["privacyPolicy.discloses"] == []
}

test_disclosed_in_policy_is_fine if {
	o := json.patch(org, [{"op": "add", "path": "/privacyPolicy/discloses/-", "value": "aws-tokyo-storage"}])
	count(run(flow, o)) == 0
}

test_individual_notice_is_fine if {
	count(run(object.union(flow, {"notice": {"individual": true}}), org)) == 0
}

test_consent_basis_is_not_judged if {
	count(run(object.union(flow, {"legalBasis": {"overseas": "consent"}}), org)) == 0
}

package xborder.rules.pipa_28_8_separate_consent_test

import data.xborder.rules.pipa_28_8_separate_consent as rule

recipients := {"alipay": {"name": "alipay", "country": "SG"}, "pg": {"name": "pg", "country": "KR"}}

overseas_consent := {
	"name": "alipay-pay",
	"recipient": "alipay",
	"countries": ["SG"],
	"type": "entrustment",
	"legalBasis": {"overseas": "consent"},
	"consent": {"separate": false, "separateProvision": false},
}

run(flow) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": recipients,
		"flows": {flow.name: flow},
		"observations": [],
	}
}

test_overseas_consent_not_separate if {
	findings := run(overseas_consent)
	count(findings) == 1
	some f in findings
	f.flow == "alipay-pay"
	f.key == "overseas"
	f.field == "spec.consent.separate"
	f.evidence["consent.separate"] == false
	f.evidence.countries == ["SG"]
}

test_overseas_consent_without_consent_block if {
	findings := run(object.remove(overseas_consent, ["consent"]))
	some f in findings
	f.field == "spec.legalBasis"
	f.evidence["consent.separate"] == "undeclared"
}

test_overseas_consent_separate_is_fine if {
	count(run(json.patch(overseas_consent, [{"op": "replace", "path": "/consent/separate", "value": true}]))) == 0
}

test_domestic_flow_needs_no_overseas_consent if {
	flow := object.union(overseas_consent, {"recipient": "pg", "countries": ["KR"]})
	count(run(flow)) == 0
}

test_other_overseas_basis_is_not_judged if {
	count(run(json.patch(overseas_consent, [{"op": "replace", "path": "/legalBasis/overseas", "value": "contract"}]))) == 0
}

test_provision_consent_not_separate if {
	flow := object.union(overseas_consent, {
		"type": "provision",
		"legalBasis": {"overseas": "consent", "provision": "consent"},
		"consent": {"separate": true, "separateProvision": false},
	})
	findings := run(flow)
	count(findings) == 1
	some f in findings
	f.key == "provision"
	f.field == "spec.consent.separateProvision"
	f.evidence["consent.separateProvision"] == false
	f.evidence.recipient == "alipay"
}

test_provision_both_not_separate_fires_twice if {
	flow := object.union(overseas_consent, {
		"type": "provision",
		"legalBasis": {"overseas": "consent", "provision": "consent"},
	})
	{f.key | some f in run(flow)} == {"overseas", "provision"}
}

test_provision_separate_is_fine if {
	flow := object.union(overseas_consent, {
		"type": "provision",
		"legalBasis": {"overseas": "consent", "provision": "consent"},
		"consent": {"separate": true, "separateProvision": true},
	})
	count(run(flow)) == 0
}

test_provision_on_law_needs_no_consent if {
	flow := object.union(overseas_consent, {
		"type": "provision",
		"legalBasis": {"overseas": "law", "provision": "law", "citation": "Act X art. 5"},
	})
	count(run(flow)) == 0
}

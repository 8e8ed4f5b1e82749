package xborder.rules.pipa_28_8_notice_items_test

import data.xborder.rules.pipa_28_8_notice_items as rule

full_notice := ["items", "country", "datetime_method", "recipient", "purpose_retention", "refusal"]

flow := {
	"name": "alipay-overseas-payment",
	"recipient": "alipay",
	"countries": ["SG"],
	"type": "entrustment",
	"legalBasis": {"overseas": "consent"},
	"consent": {"separate": true, "notice": ["items", "recipient", "purpose_retention", "datetime_method"]},
}

alipay := {"name": "alipay", "legalName": "Alipay", "country": "SG", "contact": "privacy@alipay.example"}

run(f, r) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": r},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_notice_lacks_items if {
	findings := run(flow, alipay)
	count(findings) == 1
	some f in findings
	f.flow == "alipay-overseas-payment"
	f.field == "spec.consent.notice"
	f.key == "notice"
	f.evidence.missing == ["country", "refusal"]
	f.message == "alipay-overseas-payment relies on overseas consent but its notice lacks: country, refusal"
}

test_purpose_and_retention_cover_the_joint_item if {
	notice := ["items", "country", "datetime_method", "recipient", "purpose", "retention", "refusal"]
	count(run(json.patch(flow, [{"op": "replace", "path": "/consent/notice", "value": notice}]), alipay)) == 0
}

test_missing_consent_block_lacks_everything if {
	some f in run(object.remove(flow, ["consent"]), alipay)
	f.evidence.missing == sort(full_notice)
}

test_full_notice_is_fine if {
	count(run(json.patch(flow, [{"op": "replace", "path": "/consent/notice", "value": full_notice}]), alipay)) == 0
}

test_recipient_without_contact if {
	f0 := json.patch(flow, [{"op": "replace", "path": "/consent/notice", "value": full_notice}])
	findings := run(f0, object.remove(alipay, ["contact"]))
	count(findings) == 1
	some f in findings
	f.key == "contact"
	f.field == "spec.recipient"
	f.evidence.recipient == "alipay"
}

test_contract_basis_is_not_judged if {
	f0 := json.patch(flow, [{"op": "replace", "path": "/legalBasis/overseas", "value": "contract"}])
	count(run(f0, object.remove(alipay, ["contact"]))) == 0
}

test_domestic_flow_is_not_judged if {
	f0 := object.union(flow, {"countries": ["KR"]})
	count(run(f0, object.union(alipay, {"country": "KR"}))) == 0
}

package xborder.rules.pipa_17_notice_items_test

import data.xborder.rules.pipa_17_notice_items as rule

flow := {
	"name": "seller-handoff",
	"recipient": "sellers",
	"countries": ["CN"],
	"type": "provision",
	"legalBasis": {"overseas": "contract", "provision": "consent"},
	"consent": {"notice": ["recipient", "items", "purpose_retention"]},
}

run(f) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "shop", "country": "KR"},
		"recipients": {},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_notice_lacks_refusal if {
	findings := run(flow)
	count(findings) == 1
	some f in findings
	f.flow == "seller-handoff"
	f.key == "notice"
	f.field == "spec.consent.notice"
	f.evidence.missing == ["refusal"]
	f.evidence["legalBasis.provision"] == "consent"
	f.message == "seller-handoff provides data to sellers, but its third-party consent notice lacks: refusal"
}

test_no_consent_and_no_basis if {
	f0 := json.patch(flow, [{"op": "remove", "path": "/consent"}, {"op": "remove", "path": "/legalBasis/provision"}])
	some f in run(f0)
	f.field == "spec.consent"
	f.evidence.missing == ["items", "purpose", "recipient", "refusal", "retention"]
	f.evidence["legalBasis.provision"] == ""
}

test_complete_notice_is_fine if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/consent/notice", "value": ["recipient", "purpose", "items", "retention", "refusal"]},
	])
	count(run(f0)) == 0
}

test_statutory_provision_is_not_judged if {
	count(run(json.patch(flow, [{"op": "replace", "path": "/legalBasis/provision", "value": "law"}]))) == 0
}

test_entrustment_is_not_judged if {
	count(run(object.union(flow, {"type": "entrustment"}))) == 0
}

test_overseas_consent_is_left_to_the_28_8_notice_rule if {
	count(run(json.patch(flow, [{"op": "replace", "path": "/legalBasis/overseas", "value": "consent"}]))) == 0
}

test_domestic_provision_on_consent if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/legalBasis/overseas", "value": "consent"},
		{"op": "replace", "path": "/countries", "value": ["KR"]},
	])
	some f in run(f0)
	f.evidence.missing == ["refusal"]
}

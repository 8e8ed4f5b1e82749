package xborder.rules.cia_32_credit_consent_test

import data.xborder.rules.cia_32_credit_consent as rule

flow := {
	"name": "alipay-nsf",
	"recipient": "alipay",
	"countries": ["SG"],
	"type": "entrustment",
	"items": ["account_id", "phone"],
	"legalBasis": {"overseas": "contract", "credit": "entrustment"},
}

alipay := {"name": "alipay", "country": "SG", "ownPurposes": ["nsf_scoring"], "beneficiaries": ["apple", "kakaopay"]}

o(items) := {
	"flow": "alipay-nsf",
	"day": "2024-03-01",
	"records": 1,
	"subjects": 1,
	"items": items,
	"countries": ["SG"],
}

run(f, r, obs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": r},
		"flows": {f.name: f},
		"observations": obs,
	}
}

test_misclassified_entrustment_with_observed_credit_items if {
	findings := run(flow, alipay, [o(["account_id", "balance", "payment_history"])])
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.field == "spec.legalBasis.credit"
	f.key == "credit"
	f.evidence.items == ["balance", "payment_history"]
	f.evidence["legalBasis.credit"] == "entrustment"
	f.evidence.ownPurposes == ["nsf_scoring"]
	f.evidence.beneficiaries == ["apple"]
	f.message == concat("", [
		"alipay-nsf provides credit information (balance, payment_history) to alipay ",
		"(declared entrustment, but the recipient serves its own purposes or others) ",
		"without Credit Information Act consent (legalBasis.credit: entrustment)",
	])
}

test_provision_without_basis if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/type", "value": "provision"},
		{"op": "replace", "path": "/items", "value": ["card_number"]},
		{"op": "remove", "path": "/legalBasis/credit"},
	])
	some f in run(f0, {"name": "alipay"}, [])
	f.evidence["legalBasis.credit"] == ""
	f.message == concat("", [
		"alipay-nsf provides credit information (card_number) to alipay without Credit ",
		"Information Act consent (legalBasis.credit: undeclared)",
	])
}

test_provision_on_consent_is_fine if {
	f0 := object.union(flow, {"type": "provision", "items": ["balance"], "legalBasis": {"credit": "consent"}})
	count(run(f0, alipay, [])) == 0
}

test_genuine_entrustment_is_fine if {
	count(run(object.union(flow, {"items": ["balance"]}), {"name": "alipay", "beneficiaries": ["kakaopay"]}, [])) == 0
}

test_no_credit_items if {
	count(run(flow, alipay, [o(["account_id", "top_up_history"])])) == 0
}

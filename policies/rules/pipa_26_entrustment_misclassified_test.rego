package xborder.rules.pipa_26_entrustment_misclassified_test

import data.xborder.rules.pipa_26_entrustment_misclassified as rule

base := {
	"asOf": "2024-05-31",
	"organization": {"name": "kakaopay", "country": "KR"},
	"recipients": {"alipay": {
		"name": "alipay", "country": "SG",
		"ownPurposes": ["nsf_scoring"], "beneficiaries": ["apple"],
	}},
	"flows": {"alipay-nsf": {
		"name": "alipay-nsf",
		"recipient": "alipay",
		"countries": ["CN", "SG"],
		"type": "entrustment",
		"purposes": ["fraud_prevention"],
		"items": ["account_id", "phone"],
		"legalBasis": {"overseas": "contract"},
	}},
}

with_recipient(r) := json.patch(base, [{"op": "replace", "path": "/recipients/alipay", "value": r}])

test_fires_when_the_trustee_works_for_apple if {
	findings := rule.deny with input as base
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.field == "spec.type"
	f.evidence.ownPurposes == ["nsf_scoring"]
	f.evidence.beneficiaries == ["apple"]
	f.evidence.recipientCountry == "SG"
	f.evidence.flowPurposes == ["fraud_prevention"]
	contains(f.message, "uses the data for its own purposes (nsf_scoring) and returns outputs to parties other than the controller (apple)")
}

test_fires_on_beneficiaries_alone if {
	some f in rule.deny with input as with_recipient({"name": "alipay", "country": "SG", "beneficiaries": ["apple"]})
	f.evidence.ownPurposes == []
	not contains(f.message, "own purposes")
}

test_quiet_for_a_genuine_processor if {
	count(rule.deny) == 0 with input as with_recipient({"name": "alipay", "country": "SG"})
}

test_quiet_when_declared_as_provision if {
	inp := json.patch(base, [{"op": "replace", "path": "/flows/alipay-nsf/type", "value": "provision"}])
	count(rule.deny) == 0 with input as inp
}

package xborder.rules.efta_26_txn_confidentiality_test

import data.xborder.rules.efta_26_txn_confidentiality as rule

flow := {
	"name": "alipay-nsf",
	"recipient": "alipay",
	"countries": ["SG"],
	"type": "entrustment",
	"items": ["account_id", "top_up_history"],
	"legalBasis": {"overseas": "contract", "transactions": "none"},
}

alipay := {"name": "alipay", "country": "SG", "ownPurposes": ["nsf_scoring"]}

run(f, r) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": r},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_misclassified_entrustment if {
	findings := run(flow, alipay)
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.field == "spec.legalBasis.transactions"
	f.key == "transactions"
	f.evidence.items == ["top_up_history"]
	f.evidence["legalBasis.transactions"] == "none"
	f.evidence.thirdParty == "recipient serves its own purposes or others"
}

test_provision_without_basis if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/type", "value": "provision"},
		{"op": "remove", "path": "/legalBasis/transactions"},
	])
	some f in run(f0, {"name": "alipay"})
	f.evidence.thirdParty == "provision"
	f.message == concat("", [
		"alipay-nsf gives e-financial transaction data (top_up_history) to third party ",
		"alipay without consent (legalBasis.transactions: undeclared)",
	])
}

test_exempt_and_consent_are_fine if {
	count(run(object.union(flow, {"legalBasis": {"transactions": "exempt"}}), alipay)) == 0
	count(run(object.union(flow, {"legalBasis": {"transactions": "consent"}}), alipay)) == 0
}

test_genuine_entrustment_is_fine if {
	count(run(flow, {"name": "alipay"})) == 0
}

package xborder.rules.pipa_28_8_contract_basis_misuse_test

import data.xborder.rules.pipa_28_8_contract_basis_misuse as rule

base := {
	"asOf": "2024-05-31",
	"organization": {"name": "kakaopay", "country": "KR"},
	"recipients": {"aws-tokyo": {"name": "aws-tokyo", "country": "JP"}},
	"flows": {"backup": {
		"name": "backup",
		"recipient": "aws-tokyo",
		"countries": ["JP"],
		"type": "storage",
		"purposes": ["storage"],
		"items": ["account_id"],
		"legalBasis": {"overseas": "contract"},
	}},
}

with_flow(patch) := object.union(base, {"flows": {"backup": object.union(base.flows.backup, patch)}})

test_fires_on_a_provision if {
	findings := rule.deny with input as with_flow({"type": "provision"})
	count(findings) == 1
	some f in findings
	f.flow == "backup"
	f.field == "spec.legalBasis.overseas"
	f.evidence.type == "provision"
	f.evidence.reasons == ["the transfer is a provision to a third party"]
}

test_fires_on_the_kakao_pattern_with_every_reason if {
	inp := object.union(with_flow({"type": "entrustment", "purposes": ["fraud_prevention", "nsf_scoring"]}), {"recipients": {"aws-tokyo": {
		"name": "aws-tokyo", "country": "SG",
		"ownPurposes": ["nsf_scoring"], "beneficiaries": ["apple"],
	}}})
	some f in rule.deny with input as inp
	f.evidence.ownPurposes == ["nsf_scoring"]
	f.evidence.beneficiaries == ["apple"]
	f.evidence.purposesBeyondSubject == ["nsf_scoring"]
	count(f.evidence.reasons) == 3
	contains(f.message, "recipient aws-tokyo uses the data for its own purposes (nsf_scoring)")
	contains(f.message, "serves other beneficiaries (apple)")
}

test_quiet_for_genuine_storage if {
	count(rule.deny) == 0 with input as base
}

test_quiet_for_a_provision_on_consent if {
	count(rule.deny) == 0 with input as with_flow({"type": "provision", "legalBasis": {"overseas": "consent"}})
}

test_fires_on_own_purposes_alone if {
	inp := object.union(with_flow({"type": "entrustment"}), {"recipients": {"aws-tokyo": {
		"name": "aws-tokyo", "country": "JP",
		"ownPurposes": ["ad_targeting"],
	}}})
	some f in rule.deny with input as inp
	f.evidence.reasons == ["recipient aws-tokyo uses the data for its own purposes (ad_targeting)"]
}

test_fires_on_other_beneficiaries_alone if {
	inp := object.union(with_flow({"type": "entrustment"}), {"recipients": {"aws-tokyo": {
		"name": "aws-tokyo", "country": "JP",
		"beneficiaries": ["apple"],
	}}})
	some f in rule.deny with input as inp
	f.evidence.reasons == ["recipient aws-tokyo serves other beneficiaries (apple)"]
}

test_fires_on_purposes_beyond_the_subject_alone if {
	some f in rule.deny with input as with_flow({"type": "entrustment", "purposes": ["fraud_prevention", "nsf_scoring"]})
	f.evidence.reasons == ["purposes go beyond serving the data subject (nsf_scoring)"]
}

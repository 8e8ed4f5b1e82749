package xborder.rules.pipa_28_8_basis_test

import data.xborder.rules.pipa_28_8_basis

base := {
	"asOf": "2024-05-31",
	"organization": {"name": "kakaopay", "country": "KR"},
	"recipients": {
		"alipay": {"name": "alipay", "country": "SG"},
		"kr-pg": {"name": "kr-pg", "country": "KR"},
	},
	"flows": {"alipay-nsf": {
		"name": "alipay-nsf",
		"recipient": "alipay",
		"countries": ["CN", "SG"],
		"type": "entrustment",
		"items": ["account_id"],
		"purposes": ["fraud_prevention"],
		"legalBasis": {},
	}},
	"observations": [],
}

test_fires_without_overseas_basis if {
	findings := pipa_28_8_basis.deny with input as base
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.field == "spec.legalBasis.overseas"
	f.evidence.foreignCountries == ["CN", "SG"]
	f.evidence.declaredBasis == ""
	f.evidence.recipientCountry == "SG"
	f.evidence.observedDaysAbroad == 0
	contains(f.message, "to CN, SG (recipient alipay, entrustment)")
	contains(f.message, "not declared")
}

test_fires_on_observed_foreign_country_of_a_domestic_declaration if {
	flow := object.union(base.flows["alipay-nsf"], {"recipient": "kr-pg", "countries": ["KR"]})
	obs := [
		{"flow": "alipay-nsf", "day": "2024-05-01", "records": 10, "countries": ["US"]},
		{"flow": "alipay-nsf", "day": "2024-05-02", "records": 5, "countries": ["KR", "US"]},
		{"flow": "alipay-nsf", "day": "2024-05-03", "records": 7, "countries": ["KR"]},
	]
	inp := object.union(base, {"flows": {"alipay-nsf": flow}, "observations": obs})
	findings := pipa_28_8_basis.deny with input as inp
	some f in findings
	f.evidence.foreignCountries == ["US"]
	f.evidence.declaredCountries == ["KR"]
	f.evidence.observedCountries == ["KR", "US"]
	f.evidence.observedDaysAbroad == 2
	f.evidence.observedRecordsAbroad == 15
}

test_fires_on_a_value_outside_the_five_bases if {
	inp := json.patch(base, [{"op": "add", "path": "/flows/alipay-nsf/legalBasis/overseas", "value": "legitimate_interest"}])
	some f in pipa_28_8_basis.deny with input as inp
	f.evidence.declaredBasis == "legitimate_interest"
	contains(f.message, `"legitimate_interest", not one of adequacy, certification, consent, contract, law`)
}

test_quiet_when_a_basis_is_declared if {
	inp := json.patch(base, [{"op": "add", "path": "/flows/alipay-nsf/legalBasis/overseas", "value": "consent"}])
	count(pipa_28_8_basis.deny) == 0 with input as inp
}

test_quiet_for_a_domestic_flow if {
	flow := object.union(base.flows["alipay-nsf"], {"recipient": "kr-pg", "countries": ["KR"]})
	count(pipa_28_8_basis.deny) == 0 with input as object.union(base, {"flows": {"alipay-nsf": flow}})
}

package xborder.rules.pipa_23_sensitive_test

import data.xborder.rules.pipa_23_sensitive as rule

flow := {
	"name": "seller-kyc",
	"recipient": "kyc",
	"countries": ["SG"],
	"items": ["name", "biometric"],
	"legalBasis": {"overseas": "contract", "provision": "none"},
}

o(items) := {
	"flow": "seller-kyc",
	"day": "2025-02-01",
	"records": 1,
	"subjects": 1,
	"items": items,
	"countries": ["SG"],
}

run(f, obs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-03-01",
		"organization": {"name": "temu", "country": "SG"},
		"recipients": {},
		"flows": {f.name: f},
		"observations": obs,
	}
}

test_sensitive_without_basis if {
	findings := run(flow, [o(["name", "health"])])
	count(findings) == 1
	some f in findings
	f.flow == "seller-kyc"
	f.field == "spec.items"
	f.key == "sensitive"
	f.evidence.items == ["biometric", "health"]
	f.evidence.declared == ["biometric"]
	f.evidence.observedOnly == ["health"]
	f.evidence["consent.separate"] == false
	f.message == "seller-kyc sends sensitive information (biometric, health) without a separate consent or a cited statute"
}

test_consent_not_separate if {
	f0 := object.union(flow, {
		"legalBasis": {"overseas": "consent"},
		"consent": {"separate": false, "separateProvision": false},
	})
	count(run(f0, [])) == 1
}

test_separate_overseas_consent_is_fine if {
	f0 := object.union(flow, {"legalBasis": {"overseas": "consent"}, "consent": {"separate": true}})
	count(run(f0, [])) == 0
}

test_separate_provision_consent_is_fine if {
	f0 := object.union(flow, {"legalBasis": {"provision": "consent"}, "consent": {"separateProvision": true}})
	count(run(f0, [])) == 0
}

test_separate_flag_without_consent_basis if {
	f0 := object.union(flow, {"consent": {"separate": true}})
	count(run(f0, [])) == 1
}

test_cited_statute_is_fine if {
	f0 := object.union(flow, {"legalBasis": {"provision": "law", "citation": "Act on X, art. 5"}})
	count(run(f0, [])) == 0
}

test_law_without_citation if {
	f0 := object.union(flow, {"legalBasis": {"provision": "law"}})
	count(run(f0, [])) == 1
}

test_no_sensitive_items if {
	count(run(object.union(flow, {"items": ["name"]}), [o(["name"])])) == 0
}

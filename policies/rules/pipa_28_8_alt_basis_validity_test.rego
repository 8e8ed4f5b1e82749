package xborder.rules.pipa_28_8_alt_basis_validity_test

import data.xborder.rules.pipa_28_8_alt_basis_validity as rule

cert_flow := {
	"name": "cloud-sg",
	"recipient": "cloud",
	"countries": ["SG"],
	"type": "storage",
	"items": ["name", "order_id"],
	"legalBasis": {"overseas": "certification"},
}

cloud := {
	"name": "cloud",
	"country": "SG",
	"certifications": [{"scheme": "X", "pipcNotified": true, "validFrom": "2024-01-01", "validUntil": "2024-12-31"}],
}

eu_flow := {
	"name": "eu-payments",
	"recipient": "psp",
	"countries": ["DE"],
	"type": "entrustment",
	"items": ["account_id", "amount"],
	"legalBasis": {"overseas": "adequacy"},
}

psp := {"name": "psp", "country": "DE"}

run(f, r, as_of, obs) := findings if {
	findings := rule.deny with input as {
		"asOf": as_of,
		"organization": {"name": "shop", "country": "KR"},
		"recipients": {r.name: r},
		"flows": {f.name: f},
		"observations": obs,
	}
}

obs(flow, day, countries) := {
	"flow": flow,
	"day": day,
	"records": 1,
	"subjects": 1,
	"items": [],
	"countries": countries,
}

test_certification_expired_on_as_of if {
	findings := run(cert_flow, cloud, "2025-03-01", [])
	count(findings) == 1
	some f in findings
	f.key == "certification"
	f.field == "spec.legalBasis.overseas"
	f.evidence.first == "2025-03-01"
	f.evidence.days == 1
	f.evidence.certifications[0].validUntil == "2024-12-31"
}

test_certification_valid_on_as_of if {
	count(run(cert_flow, cloud, "2024-06-01", [])) == 0
}

test_certification_judged_on_observation_days if {
	o := [
		obs("cloud-sg", "2023-12-30", ["SG"]),
		obs("cloud-sg", "2023-12-31", ["SG"]),
		obs("cloud-sg", "2024-01-02", ["SG"]),
	]
	some f in run(cert_flow, cloud, "2024-06-01", o)
	f.evidence.days == 2
	f.evidence.first == "2023-12-30"
	f.evidence.last == "2023-12-31"
	f.evidence.examples == ["2023-12-30", "2023-12-31"]
}

test_certification_not_notified if {
	r := json.patch(cloud, [{"op": "replace", "path": "/certifications/0/pipcNotified", "value": false}])
	some f in run(cert_flow, r, "2024-06-01", [])
	f.key == "certification"
	f.evidence.certifications[0].pipcNotified == false
}

test_certification_open_window if {
	r := object.union(cloud, {"certifications": [{"scheme": "Y", "pipcNotified": true}]})
	count(run(cert_flow, r, "2030-06-01", [])) == 0
}

test_no_certification_at_all if {
	some f in run(cert_flow, {"name": "cloud", "country": "SG"}, "2024-06-01", [])
	f.evidence.certifications == []
}

test_eu_before_recognition if {
	findings := run(eu_flow, psp, "2025-09-15", [])
	count(findings) == 1
	some f in findings
	f.key == "DE"
	f.evidence.country == "DE"
	f.evidence.first == "2025-09-15"
	f.evidence.recognitions[0].from == "2025-09-16"
	contains(f.message, "applies only from 2025-09-16")
}

test_eu_on_recognition_day if {
	count(run(eu_flow, psp, "2025-09-16", [])) == 0
}

test_observed_days_before_recognition_fire_even_after if {
	o := [obs("eu-payments", "2025-09-10", ["DE"]), obs("eu-payments", "2025-09-20", ["DE", "FR"])]
	findings := run(eu_flow, psp, "2025-10-01", o)
	count(findings) == 1
	some f in findings
	f.key == "DE"
	f.evidence.days == 1
	f.evidence.last == "2025-09-10"
}

test_unrecognised_country if {
	o := [obs("eu-payments", "2025-10-01", ["DE", "US"])]
	findings := run(eu_flow, psp, "2025-10-02", o)
	count(findings) == 1
	some f in findings
	f.key == "US"
	f.evidence.recognitions == []
	contains(f.message, "which the PIPC has not recognised")
}

test_excluded_credit_information if {
	f0 := object.union(eu_flow, {"items": ["account_id", "balance", "rrn"]})
	findings := run(f0, psp, "2025-10-01", [])
	count(findings) == 1
	some f in findings
	f.key == "excluded:EU/EEA equivalence recognition (PIPC, 16 Sep 2025)"
	f.field == "spec.items"
	f.evidence.items == ["balance", "rrn"]
	f.evidence.countries == ["DE"]
}

test_other_basis_is_not_judged if {
	f0 := object.union(eu_flow, {"items": ["rrn"], "legalBasis": {"overseas": "consent"}})
	count(run(f0, psp, "2025-01-01", [])) == 0
}

package xborder.rules.xb_country_mismatch_test

import data.xborder.rules.xb_country_mismatch as rule

flow := {"name": "alipay-nsf", "recipient": "alipay", "countries": ["SG"], "type": "entrustment"}

o(day, countries, records, subjects) := {
	"flow": "alipay-nsf",
	"day": day,
	"records": records,
	"subjects": subjects,
	"items": ["account_id"],
	"countries": countries,
	"hosts": ["api.alipay.example"],
}

run(obs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": {"name": "alipay", "country": "SG"}},
		"flows": {"alipay-nsf": flow},
		"observations": obs,
	}
}

test_undeclared_country if {
	findings := run([
		o("2024-03-01", ["SG", "CN"], 100, 90),
		o("2024-03-02", ["CN"], 50, 40),
		o("2024-03-03", ["SG"], 10, 10),
	])
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.key == "CN"
	f.field == "spec.countries"
	f.evidence.days == 2
	f.evidence.first == "2024-03-01"
	f.evidence.last == "2024-03-02"
	f.evidence.records == 150
	f.evidence.maxSubjects == 90
	f.evidence.declared == ["SG"]
	f.evidence.hosts == ["api.alipay.example"]
}

test_one_finding_per_country if {
	{f.key | some f in run([o("2024-03-01", ["CN", "US"], 1, 1)])} == {"CN", "US"}
}

test_declared_and_domestic_countries_are_fine if {
	count(run([o("2024-03-01", ["SG", "KR"], 1, 1)])) == 0
}

test_no_observations if {
	count(run([])) == 0
}

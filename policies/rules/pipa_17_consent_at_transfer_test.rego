package xborder.rules.pipa_17_consent_at_transfer_test

import data.xborder.rules.pipa_17_consent_at_transfer as rule

flow := {
	"name": "alipay-pay",
	"recipient": "alipay",
	"countries": ["SG"],
	"legalBasis": {"overseas": "consent", "provision": "consent"},
}

o(day, without, withdrawn) := {
	"flow": "alipay-pay",
	"day": day,
	"records": 100,
	"subjects": 50,
	"items": [],
	"countries": ["SG"],
	"withoutConsent": without,
	"withdrawnConsent": withdrawn,
}

run(f, obs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {},
		"flows": {f.name: f},
		"observations": obs,
	}
}

test_records_without_consent if {
	findings := run(flow, [o("2024-03-02", 7, 0), o("2024-03-01", 3, 0), o("2024-03-03", 0, 0)])
	count(findings) == 1
	some f in findings
	f.flow == "alipay-pay"
	f.key == "withoutConsent"
	f.field == "spec.legalBasis"
	f.evidence.withoutConsent == 10
	f.evidence.days == 2
	f.evidence.first == "2024-03-01"
	f.evidence.records == 200
	f.evidence.bases == ["overseas", "provision"]
	f.evidence.examples == [{"day": "2024-03-01", "withoutConsent": 3}, {"day": "2024-03-02", "withoutConsent": 7}]
	f.message == concat("", [
		"alipay-pay relies on consent but sent 10 record(s) with no consent recorded on 2 ",
		"day(s) (2024-03-01 to 2024-03-02)",
	])
}

test_records_after_withdrawal if {
	findings := run(flow, [o("2024-03-01", 0, 2)])
	count(findings) == 1
	some f in findings
	f.key == "withdrawnConsent"
	f.evidence.withdrawnConsent == 2
}

test_both_kinds if {
	{f.key | some f in run(flow, [o("2024-03-01", 1, 2)])} == {"withoutConsent", "withdrawnConsent"}
}

test_clean_observations if {
	count(run(flow, [o("2024-03-01", 0, 0)])) == 0
}

test_flow_not_on_consent if {
	f0 := json.patch(flow, [
		{"op": "replace", "path": "/legalBasis", "value": {"overseas": "contract", "provision": "law"}},
	])
	count(run(f0, [o("2024-03-01", 5, 5)])) == 0
}

test_ledger_subject_examples if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {},
		"flows": {flow.name: flow},
		"observations": [o("2024-03-01", 1, 1)],
		"consentExamples": {"alipay-pay": [
			{"kind": "withoutConsent", "time": "2024-03-01T10:00:00+09:00", "subject": "u:4f…"},
			{"kind": "withdrawnConsent", "time": "2024-03-01T11:00:00+09:00", "subject": "u:c8…"},
		]},
	}
	some f in findings
	f.key == "withoutConsent"
	f.evidence.subjectExamples == [{"time": "2024-03-01T10:00:00+09:00", "subject": "u:4f…"}]
	some g in findings
	g.key == "withdrawnConsent"
	g.evidence.subjectExamples == [{"time": "2024-03-01T11:00:00+09:00", "subject": "u:c8…"}]
}

test_no_ledger_no_subject_examples if {
	some f in run(flow, [o("2024-03-01", 3, 0)])
	f.evidence.subjectExamples == []
}

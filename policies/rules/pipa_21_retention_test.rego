package xborder.rules.pipa_21_retention_test

import data.xborder.rules.pipa_21_retention as rule

flow := {
	"name": "alipay-nsf",
	"recipient": "alipay",
	"countries": ["SG"],
	"retention": "P1Y",
	"retentionDays": 365,
	"recipientRetention": "P1Y",
	"recipientRetentionDays": 365,
	"contract": {"signed": "2018-04-01", "ends": "2024-05-21"},
}

o(day, records) := {
	"flow": "alipay-nsf",
	"day": day,
	"records": records,
	"subjects": 1,
	"items": [],
	"countries": ["SG"],
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

test_recipient_keeps_longer if {
	findings := run(object.union(flow, {"recipientRetention": "P5Y", "recipientRetentionDays": 1825}), [])
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.key == "longer"
	f.field == "spec.recipientRetention"
	f.evidence.retentionDays == 365
	f.evidence.recipientRetentionDays == 1825
	f.message == "alipay-nsf tells subjects the data is kept P1Y, but the contract lets alipay keep it P5Y"
}

test_retention_undeclared if {
	findings := run(object.remove(flow, ["retention", "retentionDays"]), [])
	count(findings) == 1
	some f in findings
	f.key == "undeclared"
	f.field == "spec.retention"
	f.evidence.recipientRetention == "P1Y"
}

test_transfers_after_contract_end if {
	findings := run(flow, [o("2024-05-21", 5), o("2024-05-22", 1000), o("2024-05-24", 2000)])
	count(findings) == 1
	some f in findings
	f.key == "after-contract"
	f.field == "spec.contract.ends"
	f.evidence.contractEnds == "2024-05-21"
	f.evidence.days == 2
	f.evidence.first == "2024-05-22"
	f.evidence.records == 3000
	f.evidence.daysAfterEnd == 3
	f.message == concat("", [
		"alipay-nsf sent 3,000 record(s) to alipay on 2 day(s) after its contract ended ",
		"on 2024-05-21 (2024-05-22 to 2024-05-24)",
	])
}

test_aligned_retention_and_transfers_within_contract_are_fine if {
	count(run(flow, [o("2024-05-21", 5)])) == 0
}

test_open_ended_contract_is_fine if {
	count(run(object.union(flow, {"contract": {"ends": ""}}), [o("2030-01-01", 5)])) == 0
}

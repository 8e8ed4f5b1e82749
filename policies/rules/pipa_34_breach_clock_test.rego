package xborder.rules.pipa_34_breach_clock_test

import data.xborder.rules.pipa_34_breach_clock as rule

u(key, country, day, subjects, items) := {
	"key": key,
	"host": key,
	"country": country,
	"day": day,
	"records": subjects * 2,
	"subjects": subjects,
	"items": items,
}

run(unmatched, as_of) := findings if {
	findings := rule.deny with input as {
		"asOf": as_of,
		"organization": {"name": "shop", "country": "KR"},
		"recipients": {},
		"flows": {},
		"observations": [],
		"unmatched": unmatched,
		"params": {"breachSubjects": 1000},
	}
}

test_bulk_shadow_egress if {
	findings := run(
		[
			u("dump.example", "CN", "2024-03-02", 1500, ["phone", "email"]),
			u("dump.example", "CN", "2024-03-01", 10, ["phone"]),
		],
		"2024-03-03",
	)
	count(findings) == 1
	some f in findings
	f.key == "dump.example|CN"
	f.evidence.detected == "2024-03-01"
	f.evidence.detectedAt == "2024-03-01T00:00:00+09:00"
	f.evidence.reportDue == "2024-03-04T00:00:00+09:00"
	f.evidence.overdue == false
	f.evidence.maxDailySubjects == 1500
	f.evidence.subjectsFromRecords == false
	f.evidence.records == 3020
	f.evidence.days == 2
	f.evidence.threshold == 1000
	f.message == concat("", [
		"undeclared egress dump.example to CN first seen on 2024-03-01 reaching 1,500 ",
		"subjects in a day: a possible leak, report due by 2024-03-04T00:00:00+09:00",
	])
}

test_sensitive_items_whatever_the_count if {
	findings := run([u("kyc.example", "US", "2024-02-28", 3, ["name", "rrn", "biometric"])], "2024-03-05")
	count(findings) == 1
	some f in findings
	f.evidence.graveItems == ["biometric", "rrn"]
	f.evidence.reportDue == "2024-03-02T00:00:00+09:00"
	f.evidence.overdue == true
	contains(f.message, "carrying biometric, rrn")
}

test_records_stand_in_for_missing_subject_keys if {
	findings := run(
		[
			object.union(u("batch.example", "SG", "2024-03-01", 0, ["account_id"]), {"records": 5000}),
		],
		"2024-03-01",
	)
	some f in findings
	f.evidence.maxDailySubjects == 5000
	f.evidence.subjectsFromRecords == true
}

test_small_ordinary_egress_is_not_a_leak_signal if {
	count(run([u("api.example", "CN", "2024-03-01", 999, ["phone"])], "2024-03-02")) == 0
}

test_domestic_unknown_country_and_non_personal_are_not_judged if {
	count(run(
		[
			u("kr.example", "KR", "2024-03-01", 5000, ["rrn"]),
			u("nocountry.example", "", "2024-03-01", 5000, ["rrn"]),
			u("settle.example", "SG", "2024-03-01", 5000, ["order_id", "amount"]),
		],
		"2024-03-02",
	)) == 0
}

package xborder.rules.xb_scope_nonusers_test

import data.xborder.rules.xb_scope_nonusers as rule

flow := {
	"name": "apple-nsf",
	"recipient": "alipay",
	"countries": ["SG"],
	"purposes": ["nsf_scoring"],
	"subjects": "all_users",
}

o(day, subjects) := {
	"flow": "apple-nsf",
	"day": day,
	"records": subjects,
	"subjects": subjects,
	"items": [],
	"countries": ["SG"],
}

run(f, subjects, obs) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR", "subjects": subjects},
		"recipients": {},
		"flows": {f.name: f},
		"observations": obs,
		"params": {"outOfScopeShare": 0.05},
	}
}

test_all_users_for_service_specific_purpose if {
	findings := run(flow, {"total": 100}, [])
	count(findings) == 1
	some f in findings
	f.flow == "apple-nsf"
	f.key == "declared"
	f.field == "spec.subjects"
	f.evidence.serviceSpecificPurposes == ["nsf_scoring"]
}

test_all_users_for_core_purpose_is_fine if {
	count(run(object.union(flow, {"purposes": ["settlement", "unknown_purpose"]}), {"total": 100}, [])) == 0
}

test_service_users_reaching_the_base if {
	f0 := object.union(flow, {"subjects": "service_users"})
	findings := run(f0, {"total": 2000, "active": 1000}, [
		o("2024-03-01", 960),
		o("2024-03-02", 949),
		o("2024-03-03", 1200),
	])
	count(findings) == 1
	some f in findings
	f.key == "observed"
	f.evidence.days == 2
	f.evidence.first == "2024-03-01"
	f.evidence.maxSubjects == 1200
	f.evidence.subjectBase == 1000
	f.evidence.thresholdShare == 0.95
	f.evidence.estimatedDays == 0
	f.message == concat("", [
		"apple-nsf is declared for service_users but reached 1200 subjects (120% of the ",
		"1000-subject base) on 2 day(s) from 2024-03-01",
	])
}

test_total_base_when_no_active_count if {
	f0 := object.union(flow, {"subjects": "transacting_only"})
	some f in run(f0, {"total": 1000}, [o("2024-03-01", 950)])
	f.evidence.subjectBase == 1000
}

test_service_users_below_share_is_fine if {
	f0 := object.union(flow, {"subjects": "service_users"})
	count(run(f0, {"total": 1000}, [o("2024-03-01", 949)])) == 0
}

test_no_subject_base_is_not_judged if {
	f0 := object.union(flow, {"subjects": "service_users"})
	count(run(f0, {"total": 0}, [o("2024-03-01", 949)])) == 0
}

package xborder.rules.xb_bulk_daily_test

import data.xborder.rules.xb_bulk_daily as rule

params := {"bulkShare": 0.5, "bulkAbsolute": 1000000, "bulkDays": 3, "bulkWindowDays": 30}

base := {
	"asOf": "2024-05-31",
	"params": params,
	"organization": {"name": "kakaopay", "country": "KR", "subjects": {"total": 40450000, "active": 25000000}},
	"recipients": {"alipay": {"name": "alipay", "country": "SG"}},
	"flows": {"alipay-nsf": {
		"name": "alipay-nsf",
		"recipient": "alipay",
		"countries": ["CN", "SG"],
		"type": "entrustment",
		"items": ["account_id"],
		"purposes": ["fraud_prevention"],
	}},
}

obs(day, subjects) := {"flow": "alipay-nsf", "day": day, "records": subjects, "subjects": subjects, "subjectsEstimated": false, "countries": ["SG"]}

with_obs(list) := object.union(base, {"observations": list})

test_fires_on_daily_full_base_exports if {
	inp := with_obs([
		obs("2024-04-20", 40450000), # outside the 30-day window ending 2024-05-31
		obs("2024-05-02", 40450000),
		obs("2024-05-10", 12000), # a small day does not count
		obs("2024-05-20", 40450000),
		obs("2024-05-31", 40450000),
	])
	findings := rule.deny with input as inp
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.evidence.dayCount == 3
	[d.day | some d in f.evidence.days] == ["2024-05-02", "2024-05-20", "2024-05-31"]
	f.evidence.days[0].subjects == 40450000
	f.evidence.days[0].share == 1.618
	f.evidence.peakSubjects == 40450000
	f.evidence.subjectBase == 25000000
	f.evidence.subjectBaseKind == "active"
	f.evidence.subjectsEstimated == false
	f.evidence.thresholds.bulkDays == 3
	f.message == "alipay-nsf sent up to 40,450,000 subjects a day to CN, SG (162% of the 25,000,000 active subject base) on 3 of the last 30 days; bulk means at least 50% of the subject base or 1,000,000 subjects a day on 3 days"
}

test_fires_on_the_absolute_threshold_without_a_subject_base if {
	inp := json.patch(with_obs([obs("2024-05-29", 1000000), obs("2024-05-30", 1200000), obs("2024-05-31", 1000000)]), [{"op": "replace", "path": "/organization/subjects", "value": {"total": 0, "active": 0}}])
	some f in rule.deny with input as inp
	f.evidence.subjectBase == 0
	f.evidence.days[1].share == null
	contains(f.message, "up to 1,200,000 subjects a day to CN, SG (no subject base declared)")
}

test_quiet_below_the_day_count if {
	inp := with_obs([obs("2024-05-30", 40450000), obs("2024-05-31", 40450000), obs("2024-05-29", 999999)])
	count(rule.deny) == 0 with input as inp
}

test_quiet_for_a_domestic_flow if {
	inp := json.patch(with_obs([obs("2024-05-29", 40450000), obs("2024-05-30", 40450000), obs("2024-05-31", 40450000)]), [
		{"op": "replace", "path": "/flows/alipay-nsf/countries", "value": ["KR"]},
		{"op": "replace", "path": "/recipients/alipay/country", "value": "KR"},
	])
	count(rule.deny) == 0 with input as json.patch(inp, [{"op": "replace", "path": "/observations", "value": [
		object.union(obs("2024-05-29", 40450000), {"countries": ["KR"]}),
		object.union(obs("2024-05-30", 40450000), {"countries": ["KR"]}),
		object.union(obs("2024-05-31", 40450000), {"countries": ["KR"]}),
	]}])
}

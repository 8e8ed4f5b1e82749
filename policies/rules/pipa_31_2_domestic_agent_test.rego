package xborder.rules.pipa_31_2_domestic_agent_test

import data.xborder.rules.pipa_31_2_domestic_agent as rule

params := {"domesticAgentRevenueKRW": 1000000000000, "domesticAgentDailyUsers": 1000000}

temu := {"name": "temu", "country": "SG", "koreanUsersDaily": 2900000}

agent := {"name": "Temu Korea", "address": "Seoul", "phone": "02-000-0000", "email": "agent@temu.example"}

run(org, recipients, flows) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-05-14",
		"organization": org,
		"recipients": recipients,
		"flows": flows,
		"observations": [],
		"params": params,
	}
}

test_foreign_organization_without_agent if {
	findings := run(temu, {}, {})
	count(findings) == 1
	some f in findings
	object.get(f, "flow", "") == ""
	object.get(f, "recipient", "") == ""
	f.key == "organization"
	f.field == "spec.domesticAgent"
	f.evidence.koreanUsersDaily == 2900000
	f.evidence.dailyUsersThreshold == 1000000
	f.evidence.missing == ["address", "email", "name", "phone"]
	f.message == "temu (SG) is a foreign controller with 2,900,000 daily Korean users but designates no domestic agent"
}

test_revenue_threshold_reported_once if {
	findings := run(
		object.union(temu, {
			"revenueKRW": 2000000000000,
			"domesticAgent": {"name": "X", "address": "Seoul"},
		}),
		{}, {},
	)
	count(findings) == 1
	some f in findings
	f.evidence.missing == ["email", "phone"]
	f.message == concat("", [
		"temu (SG) is a foreign controller with revenue of KRW 2,000,000,000,000 but its ",
		"domestic agent lacks: email, phone",
	])
}

test_complete_agent_is_fine if {
	count(run(object.union(temu, {"domesticAgent": agent}), {}, {})) == 0
}

test_below_thresholds_is_fine if {
	count(run(object.union(temu, {"koreanUsersDaily": 999999}), {}, {})) == 0
}

test_korean_organization_is_not_judged if {
	count(run(object.union(temu, {"country": "KR"}), {}, {})) == 0
}

kr_org := {"name": "kakaopay", "country": "KR"}

test_recipient_controller_by_users if {
	findings := run(kr_org, {"apple": {"name": "apple", "country": "IE", "koreanUsersDaily": 3000000}}, {})
	count(findings) == 1
	some f in findings
	f.recipient == "apple"
	f.key == "recipient"
	f.evidence.country == "IE"
	contains(f.message, "recipient apple (IE) controls Korean users' data with 3,000,000 daily Korean users")
}

test_recipient_controller_by_provision if {
	flows := {"nsf": {"name": "nsf", "recipient": "alipay", "type": "provision"}}
	findings := run(kr_org, {"alipay": {"name": "alipay", "country": "SG", "revenueKRW": 5000000000000}}, flows)
	some f in findings
	f.recipient == "alipay"
	f.evidence.revenueKRW == 5000000000000
}

test_processor_is_not_judged if {
	flows := {"store": {"name": "store", "recipient": "aws", "type": "storage"}}
	count(run(kr_org, {"aws": {"name": "aws", "country": "JP", "revenueKRW": 5000000000000}}, flows)) == 0
}

test_korean_recipient_is_not_judged if {
	count(run(kr_org, {"kr": {"name": "kr", "country": "KR", "koreanUsersDaily": 3000000}}, {})) == 0
}

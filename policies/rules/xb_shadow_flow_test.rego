package xborder.rules.xb_shadow_flow_test

import data.xborder.rules.xb_shadow_flow as rule

row(day, country, items, subjects) := {
	"key": "api.shadow.example", "host": "api.shadow.example", "country": country, "day": day,
	"records": subjects * 2, "subjects": subjects, "subjectsEstimated": false,
	"items": items, "unknownItems": ["x_token"], "protections": [], "tls": [], "bytes": 100,
}

base := {
	"asOf": "2024-05-31",
	"organization": {"name": "shop", "country": "KR"},
	"flows": {},
	"unmatched": [
		row("2024-05-01", "US", ["email", "order_id"], 1500),
		row("2024-05-02", "US", ["order_id"], 300),
		row("2024-05-02", "KR", ["email"], 9000), # domestic: not a transfer abroad
		{
			"key": "metrics-export", "integration": "metrics-export", "country": "DE", "day": "2024-05-02",
			"records": 10, "subjects": 0, "subjectsEstimated": false,
			"items": ["amount", "currency"], "unknownItems": [], "protections": [], "tls": [],
		},
	],
}

test_fires_once_per_host_and_country if {
	findings := rule.deny with input as base
	count(findings) == 1
	some f in findings
	f.key == "api.shadow.example|US"
	f.evidence.days == ["2024-05-01", "2024-05-02"]
	f.evidence.dayCount == 2
	f.evidence.records == 3600
	f.evidence.maxDailySubjects == 1500
	f.evidence.hosts == ["api.shadow.example"]
	f.evidence.integrations == []
	f.evidence.items == ["email", "order_id"]
	f.evidence.personalItems == ["email"]
	f.evidence.unknownItems == ["x_token"]
	f.evidence.bytes == 200
	f.message == "undeclared traffic to host api.shadow.example in US carried personal data (email) on 2 day(s) from 2024-05-01 to 2024-05-02: 3,600 records, up to 1,500 subjects a day; no DataFlow declares this integration or host"
}

test_names_the_integration_when_logged if {
	inp := json.patch(base, [{"op": "replace", "path": "/unmatched/3/items", "value": ["account_id", "amount"]}])
	some f in rule.deny with input as inp
	f.key == "metrics-export|DE"
	f.evidence.integrations == ["metrics-export"]
	f.evidence.bytes == 0
	startswith(f.message, "undeclared traffic to integration metrics-export in DE carried personal data (account_id)")
}

test_quiet_for_non_personal_or_domestic_or_unlocated_traffic if {
	inp := {"asOf": "2024-05-31", "unmatched": [
		row("2024-05-01", "US", ["order_id", "amount"], 10),
		row("2024-05-01", "KR", ["email"], 10),
		row("2024-05-01", "", ["email"], 10),
	]}
	count(rule.deny) == 0 with input as inp
}

package xborder.rules.xb_manifest_hygiene_test

import data.xborder.rules.xb_manifest_hygiene as rule

flow := {
	"name": "alipay-nsf",
	"recipient": "alipay",
	"owner": "payments",
	"reviewed": "2024-06-01",
	"schedule": "daily",
}

run(f) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-06-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {},
		"flows": {f.name: f},
		"observations": [],
		"params": {"reviewAgeDays": 365},
	}
}

test_stale_review if {
	findings := run(object.union(flow, {"reviewed": "2024-05-31"}))
	count(findings) == 1
	some f in findings
	f.flow == "alipay-nsf"
	f.key == "review"
	f.field == "metadata.reviewed"
	f.evidence.ageDays == 366
	f.evidence.maxAgeDays == 365
	f.message == "alipay-nsf was last reviewed on 2024-05-31, 366 days before 2025-06-01 (limit 365 days)"
}

test_review_at_the_limit_is_fine if {
	count(run(flow)) == 0
}

test_everything_missing if {
	findings := run({"name": "alipay-nsf", "recipient": "alipay"})
	{[f.key, f.field] | some f in findings} == {
		["owner", "metadata.owner"],
		["review", "metadata.reviewed"],
		["schedule", "spec.schedule"],
	}
	some f in findings
	f.key == "review"
	f.evidence.reviewed == ""
}

package xborder.rules.xb_data_quality_test

import data.xborder.rules.xb_data_quality as rule

quality := {
	"lines": 20000,
	"bad": 3,
	"unmatchedLines": 250,
	"files": [
		{"path": "logs/b.jsonl", "lines": 10000, "records": 9999, "bad": 1, "examples": [{"line": 5, "reason": "missing items"}]},
		{"path": "logs/a.jsonl", "lines": 9000, "records": 8998, "bad": 2, "examples": [
			{"line": 17, "reason": "missing ts"},
			{"line": 40, "reason": "invalid JSON"},
		]},
		{"path": "logs/c.jsonl", "lines": 1000, "records": 1000, "bad": 0},
	],
}

test_fires_with_bad_lines_per_file_and_unmatched_lines if {
	findings := rule.deny with input as {"asOf": "2024-05-31", "dataQuality": quality}
	count(findings) == 1
	some f in findings
	f.location == {"file": "logs/a.jsonl", "line": 17}
	f.evidence.badLines == 3
	f.evidence.badRatio == 0.0002
	f.evidence.unmatchedLines == 250
	[x.path | some x in f.evidence.files] == ["logs/a.jsonl", "logs/b.jsonl"]
	f.evidence.files[0].examples[1] == {"line": 40, "reason": "invalid JSON"}
	f.message == "3 of 20,000 log lines could not be used (logs/a.jsonl: 2, first at line 17: missing ts; logs/b.jsonl: 1, first at line 5: missing items); 250 log lines matched no declared flow"
}

test_fires_on_unmatched_lines_alone_without_a_location if {
	some f in rule.deny with input as {"dataQuality": {"lines": 10, "bad": 0, "unmatchedLines": 4, "files": [{"path": "logs/a.jsonl", "lines": 10, "bad": 0}]}}
	not f.location
	f.evidence.files == []
	f.message == "4 log lines matched no declared flow"
}

test_counts_bad_lines_without_file_detail if {
	some f in rule.deny with input as {"dataQuality": {"lines": 10, "bad": 2, "unmatchedLines": 1, "files": []}}
	not f.location
	f.message == "2 of 10 log lines could not be used; 1 log lines matched no declared flow"
}

test_quiet_on_clean_logs if {
	count(rule.deny) == 0 with input as {"dataQuality": {"lines": 10, "bad": 0, "unmatchedLines": 0, "files": [{"path": "logs/a.jsonl", "lines": 10, "bad": 0}]}}
}

test_quiet_without_logs if {
	count(rule.deny) == 0 with input as {"dataQuality": {"files": [], "lines": 0, "bad": 0, "unmatchedLines": 0}}
}

package xborder.rules.pipa_29_transport_encryption_test

import data.xborder.rules.pipa_29_transport_encryption as rule

flow := {
	"name": "nsf-sftp",
	"recipient": "alipay",
	"countries": ["CN"],
	"items": ["account_id", "amount"],
	"safeguards": {"transport": "tls1.1"},
}

o(day, tls) := {
	"flow": "nsf-sftp",
	"day": day,
	"records": 10,
	"subjects": 10,
	"items": ["account_id"],
	"countries": ["CN"],
	"tls": tls,
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

test_declared_weak_transport if {
	findings := run(flow, [])
	count(findings) == 1
	some f in findings
	f.flow == "nsf-sftp"
	f.field == "spec.safeguards.transport"
	f.key == "declared:tls1.1"
	f.evidence.personalItems == ["account_id"]
	f.message == "nsf-sftp declares tls1.1 transport for personal data (account_id)"
}

test_observed_weak_transport if {
	f0 := object.union(flow, {"safeguards": {"transport": "tls1.3"}})
	findings := run(f0, [o("2024-03-02", ["1.2", "1.0"]), o("2024-03-01", ["1.0"]), o("2024-03-03", ["1.3"])])
	count(findings) == 1
	some f in findings
	f.key == "observed:1.0"
	f.evidence.days == 2
	f.evidence.first == "2024-03-01"
	f.evidence.recordsOnThoseDays == 20
	f.evidence.declared == "tls1.3"
}

test_observed_plaintext_with_observed_personal_items if {
	f0 := {"name": "nsf-sftp", "recipient": "alipay", "countries": ["CN"], "items": ["amount"]}
	findings := run(f0, [o("2024-03-01", ["none"])])
	some f in findings
	f.key == "observed:none"
	f.evidence.declared == ""
}

test_strong_transport_is_fine if {
	count(run(object.union(flow, {"safeguards": {"transport": "sftp"}}), [o("2024-03-01", ["sftp", "1.3"])])) == 0
}

test_non_personal_flow_is_not_judged if {
	count(run(object.union(flow, {"items": ["amount", "order_id"]}), [])) == 0
}

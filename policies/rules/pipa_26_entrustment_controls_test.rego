package xborder.rules.pipa_26_entrustment_controls_test

import data.xborder.rules.pipa_26_entrustment_controls as rule

all_clauses := ["purpose_limit", "safety", "reentrust_limit", "supervision", "liability"]

flow := {
	"name": "delivery-cn",
	"recipient": "courier",
	"countries": ["CN"],
	"type": "entrustment",
	"contract": {"clauses": ["safety", "liability", "grievance"]},
}

courier := {
	"name": "courier",
	"country": "CN",
	"supervision": {"lastTraining": "2024-06-01", "lastInspection": "2024-06-01"},
}

run(f, r) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "shop", "country": "KR"},
		"recipients": {"courier": r},
		"flows": {f.name: f},
		"observations": [],
		"params": {"supervisionAgeDays": 365},
	}
}

test_contract_lacks_clauses if {
	findings := run(flow, courier)
	count(findings) == 1
	some f in findings
	f.flow == "delivery-cn"
	f.field == "spec.contract.clauses"
	f.key == "purpose_limit,reentrust_limit,supervision"
	f.evidence.missing == ["purpose_limit", "reentrust_limit", "supervision"]
	f.message == concat("", [
		"delivery-cn entrusts data to courier, but the contract lacks the Art. 26 ",
		"clauses: purpose_limit, reentrust_limit, supervision",
	])
}

test_storage_without_contract if {
	f0 := object.remove(object.union(flow, {"type": "storage"}), ["contract"])
	some f in run(f0, courier)
	f.evidence.type == "storage"
	f.evidence.clauses == []
	f.evidence.missing == ["liability", "purpose_limit", "reentrust_limit", "supervision"]
}

test_complete_contract_and_recent_supervision_is_fine if {
	count(run(object.union(flow, {"contract": {"clauses": all_clauses}}), courier)) == 0
}

test_provision_is_not_judged if {
	count(run(object.union(flow, {"type": "provision"}), {"name": "courier", "country": "CN"})) == 0
}

test_stale_inspection if {
	r := json.patch(courier, [{"op": "replace", "path": "/supervision/lastInspection", "value": "2023-12-01"}])
	findings := run(object.union(flow, {"contract": {"clauses": all_clauses}}), r)
	count(findings) == 1
	some f in findings
	f.recipient == "courier"
	not f.flow
	f.key == "inspection"
	f.field == "spec.supervision.lastInspection"
	f.evidence.lastInspection == "2023-12-01"
	f.evidence.ageDays == 397
	f.evidence.maxAgeDays == 365
	f.evidence.flows == ["delivery-cn"]
	f.message == "trustee courier was last given inspection on 2023-12-01, 397 days before 2025-01-01 (limit 365 days)"
}

test_no_supervision_records if {
	findings := run(object.union(flow, {"contract": {"clauses": all_clauses}}), {"name": "courier", "country": "CN"})
	{f.key | some f in findings} == {"training", "inspection"}
	some f in findings
	f.key == "training"
	f.evidence.ageDays == null
	f.evidence.lastTraining == ""
	f.message == "trustee courier has no recorded training (Art. 26(4))"
}

test_foreign_flow_leaves_safety_to_the_28_8_4_rule if {
	f0 := object.union(flow, {"contract": {"clauses": ["purpose_limit", "reentrust_limit", "supervision", "liability"]}})
	count(run(f0, courier)) == 0
}

test_domestic_flow_reports_safety if {
	f0 := object.union(flow, {
		"countries": ["KR"],
		"contract": {"clauses": ["purpose_limit", "reentrust_limit", "supervision", "liability"]},
	})
	findings := run(f0, object.union(courier, {"country": "KR"}))
	count(findings) == 1
	some f in findings
	f.evidence.missing == ["safety"]
}

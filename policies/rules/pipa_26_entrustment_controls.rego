# METADATA
# title: Entrustment lacks its contract clauses or supervision
# description: >-
#   An entrustment (PIPA Art. 26; storage with a processor counts too) needs a
#   written contract stating the purpose limit, re-entrustment limits, safety
#   measures, supervision and inspection, and liability (Art. 26(1) and Decree
#   Art. 28(1)), and the controller must train and inspect its trustee (Art.
#   26(4); Temu was sanctioned for neither). The rule fires on an entrusted
#   flow whose `contract.clauses` lack any of those clauses, and on a trustee
#   whose last training or inspection is missing or older than
#   params.supervisionAgeDays (a policy choice, not law). A trustee missing
#   from the privacy policy is reported by PIPA-30-POLICY-DISCLOSURE only, and
#   a foreign flow's missing safety clause by PIPA-28-8-4-SAFEGUARDS only.
# custom:
#   id: PIPA-26-ENTRUSTMENT-CONTROLS
#   severity: medium
#   articles:
#     - PIPA 26(1)
#     - PIPA 26(4)
#     - PIPA 26(6)
#     - PIPA Decree 28(1)
#   title_ko: 위탁 통제 미흡
#   remediation: >-
#     Amend the entrustment contract to carry the purpose limit, safety
#     measures, re-entrustment limits, supervision and inspection, and
#     liability; train and inspect every trustee at least within the
#     supervision age and record the dates in the recipient's manifest.
#   remediation_ko: >-
#     위탁계약에 목적 외 처리 금지, 안전조치, 재위탁 제한, 관리·감독 및 점검, 손해배상 책임을
#     반영하고, 수탁자를 정해진 주기 내에 교육·점검하여 그 일자를 수령자 매니페스트에 기록하십시오.
package xborder.rules.pipa_26_entrustment_controls

import data.xborder.lib

required := {c | some c in lib.ref.clauses_26}

checks := {"lastTraining": "training", "lastInspection": "inspection"}

deny contains finding if {
	some name, f in input.flows
	lib.entrusted(f)
	clauses := lib.clauses(f)
	count(required - clauses) > 0
	missing := (required - clauses) - reported_elsewhere(f)
	count(missing) > 0
	finding := {
		"flow": name,
		"field": "spec.contract.clauses",
		"key": concat(",", lib.sorted(missing)),
		"message": sprintf(
			"%s entrusts data to %s, but the contract lacks the Art. 26 clauses: %s",
			[name, f.recipient, lib.join(missing)],
		),
		"evidence": {
			"type": f.type,
			"missing": lib.sorted(missing),
			"clauses": lib.sorted(clauses),
			"required": lib.sorted(required - reported_elsewhere(f)),
		},
	}
}

deny contains finding if {
	some rname, flows in lib.entrusted_flows
	r := input.recipients[rname]
	some field, what in checks
	not recent(r, field)
	finding := {
		"recipient": rname,
		"field": sprintf("spec.supervision.%s", [field]),
		"key": what,
		"message": supervision_message(rname, r, field, what),
		"evidence": {
			field: object.get(r, ["supervision", field], ""),
			"ageDays": age(r, field),
			"maxAgeDays": input.params.supervisionAgeDays,
			"flows": lib.sorted(flows),
		},
	}
}

# reported_elsewhere(f) are the clauses PIPA-28-8-4-SAFEGUARDS already
# requires of a foreign flow (safety), so that one missing clause is one finding.
reported_elsewhere(f) := safeguard_clauses if lib.foreign(f)

else := set()

safeguard_clauses := required & {c | some c in lib.ref.clauses_28_8_4}

recent(r, field) if lib.age_days(r.supervision[field]) <= input.params.supervisionAgeDays

age(r, field) := lib.age_days(day) if {
	day := r.supervision[field]
} else := null

supervision_message(rname, r, field, what) := sprintf(
	"trustee %s was last given %s on %s, %d days before %s (limit %d days)",
	[rname, what, day, lib.age_days(day), input.asOf, input.params.supervisionAgeDays],
) if {
	day := r.supervision[field]
} else := sprintf("trustee %s has no recorded %s (Art. 26(4))", [rname, what])

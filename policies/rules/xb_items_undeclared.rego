# METADATA
# title: Items transferred beyond the declared items
# description: |
#   The items a flow declares are what its notice, consent and privacy policy
#   tell data subjects (PIPA 17(2), 28-8(2)1). This rule compares them with what
#   the logs show the flow actually sent: every observed item, known to the
#   taxonomy or not, that the flow does not declare is reported, with the days
#   it was seen.
# custom:
#   id: XB-ITEMS-UNDECLARED
#   severity: high
#   articles: ["PIPA 17(2)", "PIPA 18(1)", "PIPA 28-8(2)"]
#   title_ko: 고지 항목 외 전송
#   remediation: >-
#     Strip the undeclared items at the egress layer, or declare them in
#     spec.items and update the notice, consent and privacy policy (re-collecting
#     consent where consent is the basis) before sending them again.
#   remediation_ko: >-
#     신고되지 않은 항목을 전송 단계에서 제거하거나, spec.items에 신고하고 고지·동의·처리방침을 고친 뒤
#     (동의가 근거이면 동의를 다시 받은 뒤) 전송하십시오.
#   needs: [observations]
package xborder.rules.xb_items_undeclared

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	declared := {i | some i in f.items}
	undeclared := lib.all_observed_items(name) - declared
	count(undeclared) > 0
	seen := [{"day": o.day, "items": extra} |
		some o in lib.observed[name]
		extra := {i | some i in o.items; i in undeclared} | {i | some i in o.unknownItems; i in undeclared}
		count(extra) > 0
	]
	days := sort({s.day | some s in seen})
	unknown := {i | some o in lib.observed[name]; some i in o.unknownItems} & undeclared
	finding := {
		"flow": name,
		"field": "spec.items",
		"message": sprintf(
			"%s sent %d item(s) it does not declare (%s) on %d day(s) from %s to %s%s",
			[name, count(undeclared), lib.join(undeclared), count(days), days[0], days[count(days) - 1], unknown_text(unknown)],
		),
		"evidence": {
			"items": lib.sorted(undeclared),
			"unknownItems": lib.sorted(unknown),
			"declared": lib.sorted(declared),
			"days": days,
			"dayCount": count(days),
			"itemDays": {i: count({s.day | some s in seen; i in s.items}) | some i in undeclared},
		},
	}
}

unknown_text(s) := sprintf("; not in the item taxonomy: %s", [lib.join(s)]) if count(s) > 0

else := ""

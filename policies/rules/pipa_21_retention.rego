# METADATA
# title: Retention undeclared, longer at the recipient, or transfers after the contract ended
# description: >-
#   The recipient's retention period is a notice item (PIPA Arts. 17(2)4 and
#   28-8(2)4) and data must be destroyed once that period or the purpose ends
#   (Art. 21). The rule fires when a flow declares no retention, when the
#   retention its contract allows the recipient (`recipientRetention`) is
#   longer than the retention declared to subjects, and when the logs show
#   transfers after `contract.ends`. Records sent after a subject withdrew
#   consent are reported by PIPA-17-CONSENT-AT-TRANSFER, and a missing
#   retention only here, not also by XB-MANIFEST-HYGIENE.
# custom:
#   id: PIPA-21-RETENTION
#   severity: medium
#   articles:
#     - PIPA 21
#     - PIPA 17(2)4
#     - PIPA 28-8(2)4
#   title_ko: 보유기간 미고지·초과
#   remediation: >-
#     Declare the retention period, align the contract's retention with what
#     subjects were told, stop transfers when the contract ends, and obtain
#     destruction certificates from the recipient.
#   remediation_ko: >-
#     보유기간을 명시하고 계약상 수령자 보유기간을 정보주체에게 고지한 기간과 일치시키며, 계약 종료
#     시 전송을 중단하고 수령자로부터 파기 확인서를 받으십시오.
package xborder.rules.pipa_21_retention

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	object.get(f, "retention", "") == ""
	finding := {
		"flow": name,
		"field": "spec.retention",
		"key": "undeclared",
		"message": sprintf("%s declares no retention period for the data %s receives", [name, f.recipient]),
		"evidence": {"retention": "", "recipientRetention": object.get(f, "recipientRetention", "")},
	}
}

deny contains finding if {
	some name, f in input.flows
	declared := object.get(f, "retentionDays", 0)
	declared > 0
	allowed := object.get(f, "recipientRetentionDays", 0)
	allowed > declared
	finding := {
		"flow": name,
		"field": "spec.recipientRetention",
		"key": "longer",
		"message": sprintf(
			"%s tells subjects the data is kept %s, but the contract lets %s keep it %s",
			[name, f.retention, f.recipient, f.recipientRetention],
		),
		"evidence": {
			"retention": f.retention,
			"retentionDays": declared,
			"recipientRetention": f.recipientRetention,
			"recipientRetentionDays": allowed,
		},
	}
}

deny contains finding if {
	some name, f in input.flows
	ends := f.contract.ends
	ends != ""
	late := [o | some o in lib.observed[name]; o.day > ends]
	count(late) > 0
	span := lib.day_span({o.day | some o in late})
	finding := {
		"flow": name,
		"field": "spec.contract.ends",
		"key": "after-contract",
		"message": sprintf(
			"%s sent %s record(s) to %s on %d day(s) after its contract ended on %s (%s to %s)",
			[name, lib.thousands(sum([o.records | some o in late])), f.recipient, span.days, ends, span.first, span.last],
		),
		"evidence": object.union(span, {
			"contractEnds": ends,
			"records": sum([o.records | some o in late]),
			"daysAfterEnd": lib.days_between(ends, span.last),
		}),
	}
}

# METADATA
# title: Recipient's own purposes not stated to the subjects
# description: >-
#   The recipient's purpose of use is a notice item of PIPA Art. 17(2)2 and
#   Art. 28-8(2)4, and Art. 18(1) forbids use beyond the purposes stated. Kakao
#   Pay's consent named "PG approval and settlement" while Alipay used the
#   data to score users for Apple (FSS; single secondary source). The rule
#   fires when the recipient declares `ownPurposes` that are neither among
#   the flow's `purposes` nor named in `consent.purposeText` (as the purpose
#   ID, or with spaces for underscores).
# custom:
#   id: PIPA-17-PURPOSE-MISMATCH
#   severity: high
#   articles:
#     - PIPA 17(2)2
#     - PIPA 18(1)
#     - PIPA 28-8(2)4
#     - PIPA 26(5)
#   title_ko: 제공목적 불일치
#   remediation: >-
#     State the recipient's actual purposes in the flow and the consent text
#     and collect consent again, or contractually stop the recipient's own
#     use of the data.
#   remediation_ko: >-
#     수령자의 실제 이용 목적을 이전 목적과 동의 문구에 명시하고 다시 동의를 받거나, 계약으로 수령자의
#     자체 목적 이용을 중단시키십시오.
package xborder.rules.pipa_17_purpose_mismatch

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	r := input.recipients[f.recipient]
	count(r.ownPurposes) > 0
	text := lower(object.get(f, ["consent", "purposeText"], ""))
	uncovered := {p |
		some p in r.ownPurposes
		not p in f.purposes
		not named(text, p)
	}
	count(uncovered) > 0
	finding := {
		"flow": name,
		"field": "spec.purposes",
		"key": "purposes",
		"message": sprintf(
			"%s sends data to %s, which uses it for %s, a purpose neither the flow nor its consent text states",
			[name, f.recipient, concat(", ", lib.sorted(uncovered))],
		),
		"evidence": {
			"recipient": f.recipient,
			"uncovered": lib.sorted(uncovered),
			"ownPurposes": lib.sorted({p | some p in r.ownPurposes}),
			"purposes": lib.sorted({p | some p in f.purposes}),
			"purposeText": object.get(f, ["consent", "purposeText"], ""),
		},
	}
}

named(text, p) if contains(text, lower(p))

named(text, p) if contains(text, replace(lower(p), "_", " "))

# METADATA
# title: Claimed pseudonymised data the recipient can re-identify
# description: >-
#   Pseudonymised information (PIPA Arts. 28-2 to 28-5) must not let its
#   holder identify anyone without additional information kept apart (Art.
#   28-4), and processing it to identify a person is forbidden (Art. 28-5).
#   FSS found that Alipay wanted Kakao Pay's hashed identifiers precisely to
#   match users to Apple IDs. The rule fires when a flow claims
#   `safeguards.pseudonymized` while the key of its identifier protection is
#   held by the recipient or shared with it, or while its purposes or the
#   recipient's own purposes need re-identification (matching, scoring,
#   identity verification).
# custom:
#   id: PIPA-28-2-PSEUDONYM-LINKAGE
#   severity: high
#   articles:
#     - PIPA 28-2
#     - PIPA 28-4
#     - PIPA 28-5
#     - PIPA 2(1)
#   title_ko: 가명정보 재식별 가능
#   remediation: >-
#     Drop the pseudonymisation claim and give the flow a lawful basis as
#     personal data, or redesign it so that the recipient can never
#     re-identify: the key stays with the controller and no purpose needs
#     matching.
#   remediation_ko: >-
#     가명처리 주장을 철회하고 개인정보로서 적법한 근거를 갖추거나, 키를 처리자가 보관하고 재식별이
#     필요한 목적이 없도록 하여 수령자가 재식별할 수 없게 설계를 바꾸십시오.
package xborder.rules.pipa_28_2_pseudonym_linkage

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.safeguards.pseudonymized == true
	holder := f.safeguards.identifiers.keyHolder
	holder in {"recipient", "shared"}
	finding := {
		"flow": name,
		"field": "spec.safeguards.identifiers.keyHolder",
		"key": "key",
		"message": sprintf(
			"%s claims pseudonymised data, but the identifier key is held by %s: %s can re-identify the subjects",
			[name, holder_text(holder), f.recipient],
		),
		"evidence": {
			"pseudonymized": true,
			"keyHolder": holder,
			"method": object.get(f.safeguards.identifiers, "method", ""),
			"recipient": f.recipient,
		},
	}
}

deny contains finding if {
	some name, f in input.flows
	f.safeguards.pseudonymized == true
	own := {p | some p in object.get(input.recipients, [f.recipient, "ownPurposes"], [])}
	purposes := {p | some p in f.purposes} | own
	linking := {p | some p in purposes; lib.purpose(p).reidentifies}
	count(linking) > 0
	finding := {
		"flow": name,
		"field": "spec.safeguards.pseudonymized",
		"key": "purpose",
		"message": sprintf(
			"%s claims pseudonymised data, but %s need(s) re-identifying the subjects",
			[name, lib.join(linking)],
		),
		"evidence": {
			"pseudonymized": true,
			"reidentifyingPurposes": lib.sorted(linking),
			"recipientOwnPurposes": lib.sorted(own),
			"recipient": f.recipient,
		},
	}
}

holder_text("shared") := "both sides"

holder_text("recipient") := "the recipient"

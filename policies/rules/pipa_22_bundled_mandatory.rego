# METADATA
# title: Consent made mandatory for purposes the core service does not need
# description: >-
#   PIPA Art. 22 requires consents to be presented distinctly, Art. 16(3) and
#   22(5) forbid refusing the service because a subject declines what the
#   service does not need, and Decree Art. 17(1) makes consent valid only when
#   the subject can decide freely. FSS found Kakao Pay's overseas-payment
#   provision consent taken as mandatory although refusing would not have
#   stopped overseas payment (single secondary source). The rule fires when
#   `consent.mandatory` is true while a flow purpose is not a core purpose in
#   the purpose reference, or the recipient pursues purposes of its own that
#   the reference does not mark as core (a marketplace seller that ships the
#   buyer's order serves the core service; a wallet partner that scores users
#   for a third party does not). Flow purposes unknown to the reference are
#   not judged; a recipient's unknown own purpose counts against the consent.
# custom:
#   id: PIPA-22-BUNDLED-MANDATORY
#   severity: medium
#   articles:
#     - PIPA 22(1)
#     - PIPA 22(5)
#     - PIPA 16(3)
#   title_ko: 선택동의의 필수화
#   remediation: >-
#     Make the consent optional and keep serving subjects who refuse it, or
#     split the flow so that only what the core service needs is mandatory.
#   remediation_ko: >-
#     해당 동의를 선택 동의로 바꾸고 거부한 정보주체에게도 서비스를 제공하거나, 핵심 서비스에 필요한
#     부분만 필수 동의로 남기도록 이전을 분리하십시오.
package xborder.rules.pipa_22_bundled_mandatory

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.consent.mandatory == true
	non_core := {p | some p in f.purposes; lib.purpose(p).core == false}
	own := {p |
		some p in object.get(input.recipients, [f.recipient, "ownPurposes"], [])
		not lib.purpose(p).core
	}
	count(non_core | own) > 0
	finding := {
		"flow": name,
		"field": "spec.consent.mandatory",
		"key": "mandatory",
		"message": sprintf(
			"%s makes consent mandatory for %s, which the core service does not need",
			[name, concat(", ", lib.sorted(non_core | own))],
		),
		"evidence": {
			"consent.mandatory": true,
			"nonCorePurposes": lib.sorted(non_core),
			"recipientOwnPurposes": lib.sorted(own),
		},
	}
}

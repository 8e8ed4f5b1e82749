# METADATA
# title: Overseas or third-party consent not asked separately
# description: >-
#   PIPA Art. 28-8(1)1 allows an overseas transfer on consent only when that
#   consent is asked separately, and Art. 22(1) requires the Art. 17(1)1
#   third-party-provision consent to be asked separately too: a consent folded
#   into the terms of service is no consent for either. The rule fires when a
#   foreign flow's overseas basis is consent but `consent.separate` is not
#   true, and when a provision flow relies on consent but
#   `consent.separateProvision` is not true (Kakao Pay had neither).
# custom:
#   id: PIPA-28-8-SEPARATE-CONSENT
#   severity: high
#   articles:
#     - PIPA 28-8(1)1
#     - PIPA 22(1)
#     - PIPA 17(1)1
#   title_ko: 국외이전·제3자 제공 별도동의 미흡
#   remediation: >-
#     Ask the overseas-transfer consent and the third-party-provision consent
#     each on its own, with its own yes/no, apart from the terms of service and
#     from each other; record them as separate consent versions.
#   remediation_ko: >-
#     국외이전 동의와 제3자 제공 동의를 이용약관 및 서로와 구분하여 각각 별도의 동의란(예/아니오)으로
#     받고, 별도의 동의 버전으로 기록하십시오.
package xborder.rules.pipa_28_8_separate_consent

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "consent"
	not f.consent.separate == true
	lib.foreign(f)
	finding := {
		"flow": name,
		"field": field(f, "separate"),
		"key": "overseas",
		"message": sprintf(
			"%s transfers data abroad on consent, but the overseas consent is not separate (consent.separate: %v)",
			[name, declared(f, "separate")],
		),
		"evidence": {
			"basis": "overseas",
			"legalBasis.overseas": "consent",
			"consent.separate": declared(f, "separate"),
			"countries": lib.sorted(lib.all_countries(f)),
		},
	}
}

deny contains finding if {
	some name, f in input.flows
	f.type == "provision"
	f.legalBasis.provision == "consent"
	not f.consent.separateProvision == true
	finding := {
		"flow": name,
		"field": field(f, "separateProvision"),
		"key": "provision",
		"message": sprintf(
			"%s provides data to %s on consent, but the third-party consent is not separate (consent.separateProvision: %v)",
			[name, f.recipient, declared(f, "separateProvision")],
		),
		"evidence": {
			"basis": "provision",
			"type": "provision",
			"legalBasis.provision": "consent",
			"consent.separateProvision": declared(f, "separateProvision"),
			"recipient": f.recipient,
		},
	}
}

# field points at the flag when a consent block is declared, else at the basis.
field(f, flag) := sprintf("spec.consent.%s", [flag]) if f.consent

else := "spec.legalBasis"

# declared is the flag as written, or "undeclared" without a consent block.
declared(f, flag) := object.get(f.consent, flag, false) if f.consent

else := "undeclared"

# METADATA
# title: Sensitive information sent without separate consent or a statute
# description: >-
#   Sensitive information (health, biometric data used to identify a person,
#   genetic data, criminal records, political opinions, union membership,
#   religion, sex life, ethnicity; PIPA Art. 23 and Decree Art. 18) may be
#   processed only with a consent separate from every other consent or where
#   a law requires or permits it (Art. 23(1); Art. 22(1)). The rule fires on
#   a flow whose declared or observed items include a sensitive item unless
#   the flow relies on a separately asked consent (`consent.separate` or
#   `consent.separateProvision` on a consent basis; the manifest has no
#   per-category flag) or on a "law" basis with a citation.
# custom:
#   id: PIPA-23-SENSITIVE
#   severity: critical
#   articles:
#     - PIPA 23(1)
#     - PIPA 22(1)
#     - PIPA 64-2(1)3
#   title_ko: 민감정보 이전 근거 부재
#   remediation: >-
#     Remove the sensitive items from the flow, or obtain a consent for them
#     that is separate from every other consent, or cite the statute that
#     requires or permits the processing; encrypt them in transit and at rest.
#   remediation_ko: >-
#     민감정보를 이전 항목에서 제외하거나, 다른 동의와 구분된 별도 동의를 받거나, 처리를 요구·허용하는
#     법령을 명시하고, 전송·저장 시 암호화하십시오.
package xborder.rules.pipa_23_sensitive

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	items := lib.in_category(lib.all_items(f), "sensitive")
	count(items) > 0
	not lib.separately_consented(f)
	not lib.statutory(f)
	declared := {i | some i in f.items}
	finding := {
		"flow": name,
		"field": "spec.items",
		"key": "sensitive",
		"message": sprintf(
			"%s sends sensitive information (%s) without a separate consent or a cited statute",
			[name, lib.join(items)],
		),
		"evidence": {
			"items": lib.sorted(items),
			"declared": lib.sorted(items & declared),
			"observedOnly": lib.sorted(items - declared),
			"legalBasis": object.get(f, "legalBasis", {}),
			"consent.separate": object.get(f, ["consent", "separate"], false),
			"consent.separateProvision": object.get(f, ["consent", "separateProvision"], false),
		},
	}
}

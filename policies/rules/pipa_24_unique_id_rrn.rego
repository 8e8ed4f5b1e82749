# METADATA
# title: Resident registration number or unique identifier without basis or encryption
# description: >-
#   Resident registration numbers may not be processed even with consent, only
#   where a law specifically requires or permits it (PIPA Art. 24-2(1)); other
#   unique identifiers (passport, driver's licence, alien registration
#   numbers) need a separate consent or a statute (Art. 24(1)); both must be
#   encrypted (Arts. 24(3), 24-2(2)). Temu was sanctioned for collecting
#   sellers' RRNs without a legal basis. The rule fires on rrn without a "law"
#   basis with a citation, on unique identifiers without that or a separately
#   asked consent, and on either left unprotected (no identifier protection
#   declared or seen, or plain). Weak hashing is reported by
#   PIPA-29-WEAK-PSEUDONYMIZATION, weak transport by
#   PIPA-29-TRANSPORT-ENCRYPTION, and rrn under an adequacy basis by
#   PIPA-28-8-ALT-BASIS-VALIDITY.
# custom:
#   id: PIPA-24-UNIQUE-ID-RRN
#   severity: critical
#   articles:
#     - PIPA 24(1)
#     - PIPA 24(3)
#     - PIPA 24-2(1)
#     - PIPA 24-2(2)
#     - PIPA 64-2(1)4
#   title_ko: 고유식별정보·주민등록번호 이전 근거·암호화 부재
#   remediation: >-
#     Stop sending resident registration numbers unless a statute requires it
#     (cite it), replacing them with a token or connecting information (CI);
#     obtain a separate consent for other unique identifiers; encrypt them
#     before they leave and at rest.
#   remediation_ko: >-
#     법령상 근거가 없으면 주민등록번호 전송을 중단하고(근거가 있으면 명시) 토큰 또는 연계정보(CI)로
#     대체하며, 그 밖의 고유식별정보는 별도 동의를 받고, 전송 전과 저장 시 암호화하십시오.
package xborder.rules.pipa_24_unique_id_rrn

import data.xborder.lib

plain := {"plain", "none"}

# carrying[name] is the set of rrn and unique-identifier items that flow name
# sends, declared or observed, for the flows that send any: found in one pass
# over the flows, so that the three checks below visit only those flows.
carrying := {name: items |
	some name, f in input.flows
	sent := lib.all_items(f)
	items := lib.in_category(sent, "rrn") | lib.in_category(sent, "unique_id")
	count(items) > 0
}

deny contains finding if {
	some name, ids in carrying
	f := input.flows[name]
	items := lib.in_category(ids, "rrn")
	count(items) > 0
	not lib.statutory(f)
	finding := {
		"flow": name,
		"field": "spec.items",
		"key": "rrn",
		"message": sprintf(
			"%s sends resident registration numbers (%s) without a cited statute; consent is not a basis for them",
			[name, lib.join(items)],
		),
		"evidence": {"items": lib.sorted(items), "legalBasis": object.get(f, "legalBasis", {})},
	}
}

deny contains finding if {
	some name, ids in carrying
	f := input.flows[name]
	items := lib.in_category(ids, "unique_id")
	count(items) > 0
	not lib.statutory(f)
	not lib.separately_consented(f)
	finding := {
		"flow": name,
		"field": "spec.items",
		"key": "unique-id",
		"message": sprintf(
			"%s sends unique identifiers (%s) without a separate consent or a cited statute",
			[name, lib.join(items)],
		),
		"evidence": {
			"items": lib.sorted(items),
			"legalBasis": object.get(f, "legalBasis", {}),
			"consent.separate": object.get(f, ["consent", "separate"], false),
			"consent.separateProvision": object.get(f, ["consent", "separateProvision"], false),
		},
	}
}

deny contains finding if {
	some name, items in carrying
	f := input.flows[name]
	unencrypted(f)
	finding := {
		"flow": name,
		"field": "spec.safeguards.identifiers.method",
		"key": "encryption",
		"message": sprintf(
			"%s sends %s unencrypted (declared protection: %s; seen: %s)",
			[name, lib.join(items), text(method(f)), text(lib.join(observed(f)))],
		),
		"evidence": {
			"items": lib.sorted(items),
			"method": method(f),
			"observedProtections": lib.sorted(observed(f)),
		},
	}
}

method(f) := object.get(f, ["safeguards", "identifiers", "method"], "")

observed(f) := {p | some o in lib.observed[f.name]; some p in o.protections}

unencrypted(f) if method(f) in plain

unencrypted(f) if count(observed(f) & plain) > 0

unencrypted(f) if {
	method(f) == ""
	count(observed(f)) == 0
}

text("") := "none"

text(s) := s if s != ""

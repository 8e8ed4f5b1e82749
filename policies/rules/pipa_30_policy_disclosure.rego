# METADATA
# title: Privacy policy omits an overseas transfer or a trustee, or is out of date
# description: >-
#   The privacy policy must describe third-party provision and entrustment
#   (PIPA Art. 30(1)3 and 4) and list every trustee (Art. 26(2)); Apple and
#   Temu were sanctioned for overseas entrustment their policies did not
#   mention. The rule fires on a foreign flow missing from
#   `privacyPolicy.discloses`, on a recipient receiving an entrusted flow
#   (entrustment or storage) missing from `privacyPolicy.trustees`, and on a
#   policy `updated` before the newest `reviewed` date of the flows. Flows on
#   the contract basis are left to PIPA-28-8-CONTRACT-DISCLOSURE, which also
#   accepts an individual notice, so one omission is reported once; a trustee
#   missing from the policy is reported here only, not also by
#   PIPA-26-ENTRUSTMENT-CONTROLS.
# custom:
#   id: PIPA-30-POLICY-DISCLOSURE
#   severity: high
#   articles:
#     - PIPA 30(1)3
#     - PIPA 30(1)4
#     - PIPA 26(2)
#     - PIPA 28-8(2)
#   title_ko: 처리방침 국외이전·위탁 미기재
#   remediation: >-
#     Generate the privacy policy's overseas-transfer and trustee sections from
#     the manifests (recipient, contact, country, items, purpose, retention,
#     how to refuse), publish it, and update it whenever a manifest changes.
#   remediation_ko: >-
#     매니페스트를 기준으로 처리방침의 국외이전 및 수탁자 항목(수령자, 연락처, 국가, 항목, 목적,
#     보유기간, 거부 방법)을 작성·공개하고, 매니페스트가 바뀔 때마다 갱신하십시오.
package xborder.rules.pipa_30_policy_disclosure

import data.xborder.lib

policy := object.get(input.organization, "privacyPolicy", {})

# disclosed and trustees are the policy's lists as sets: one lookup per
# flow or recipient, not a scan of the list.
disclosed := {n | some n in object.get(policy, "discloses", [])}

trustees := {n | some n in object.get(policy, "trustees", [])}

deny contains finding if {
	some name, f in input.flows
	not f.legalBasis.overseas == "contract"
	not name in disclosed
	lib.foreign(f)
	finding := {
		"flow": name,
		"field": "spec.privacyPolicy.discloses",
		"key": "overseas",
		"message": sprintf(
			"%s transfers data to %s in %s, but the privacy policy's overseas-transfer section does not list it",
			[name, f.recipient, lib.join(lib.all_countries(f) - {"KR"})],
		),
		"evidence": {
			"countries": lib.sorted(lib.all_countries(f) - {"KR"}),
			"legalBasis.overseas": object.get(f.legalBasis, "overseas", ""),
			"discloses": lib.head(disclosed),
			"disclosesCount": count(disclosed),
			"url": object.get(policy, "url", ""),
		},
	}
}

deny contains finding if {
	some rname, flows in lib.entrusted_flows
	input.recipients[rname]
	not rname in trustees
	finding := {
		"recipient": rname,
		"field": "spec.privacyPolicy.trustees",
		"key": "trustee",
		"message": sprintf(
			"%s processes data on the controller's behalf (%s), but the privacy policy does not list it as a trustee",
			[rname, lib.join(flows)],
		),
		"evidence": {
			"flows": lib.sorted(flows),
			"trustees": lib.head(trustees),
			"trusteesCount": count(trustees),
			"url": object.get(policy, "url", ""),
		},
	}
}

deny contains finding if {
	updated := policy.updated
	reviewed := {f.reviewed | some f in input.flows; f.reviewed > updated}
	after := {n | some n, f in input.flows; f.reviewed > updated}
	count(reviewed) > 0
	newest := max(reviewed)
	finding := {
		"field": "spec.privacyPolicy.updated",
		"key": "stale",
		"message": sprintf(
			"the privacy policy was last updated on %s, %d days before the newest manifest review (%s, %s)",
			[updated, lib.days_between(updated, newest), newest, lib.join({n | some n, f in input.flows; f.reviewed == newest})],
		),
		"evidence": {
			"updated": updated,
			"newestReviewed": newest,
			"flows": lib.head(after),
			"flowsCount": count(after),
		},
	}
}

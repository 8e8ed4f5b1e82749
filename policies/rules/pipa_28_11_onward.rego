# METADATA
# title: Onward transfers to many, undisclosed or unbound recipients
# description: >-
#   When a recipient passes the data on to a third country, PIPA Art. 28-11
#   applies Arts. 28-8 and 28-9 to it, and the onward recipients are part of
#   the Art. 28-8(2)3 notice. AliExpress disclosed about 8,000 of some 180,000
#   sellers, gave the destination as "worldwide" and bound none of them to the
#   Decree 29-10 measures. The rule fires, per recipient that receives a flow,
#   when it passes data to more than params.onwardRecipients parties (a policy
#   choice, not law), to parties not all disclosed, to "worldwide" or
#   unspecified countries, or without contractual binding.
# custom:
#   id: PIPA-28-11-ONWARD
#   severity: high
#   articles:
#     - PIPA 28-11
#     - PIPA 28-8(2)3
#     - PIPA Decree 29-10
#   title_ko: 재이전·다수 수령자
#   remediation: >-
#     List every onward recipient (or keep a published roster) with its name,
#     contact and country in the notice and policy, bind each one by contract
#     to the protective measures, and give sellers and partners only the data
#     they need (masking, relay numbers).
#   remediation_ko: >-
#     모든 재이전 수령자(또는 공개된 명단)를 명칭·연락처·국가와 함께 고지 및 처리방침에 기재하고,
#     각 수령자를 계약으로 보호조치에 구속하며, 판매자·제휴사에는 필요한 정보만 제공(마스킹, 안심번호)하십시오.
package xborder.rules.pipa_28_11_onward

import data.xborder.lib

# onward[rname] is the onward block of a recipient that receives at least one flow.
onward[rname] := o if {
	some rname, r in input.recipients
	o := r.onward
	o.recipients > 0
	some f in input.flows
	f.recipient == rname
}

flows_of(rname) := lib.sorted({name | some name, f in input.flows; f.recipient == rname})

deny contains finding if {
	some rname, o in onward
	o.recipients > input.params.onwardRecipients
	finding := {
		"recipient": rname,
		"field": "spec.onward.recipients",
		"key": "count",
		"message": sprintf(
			"%s passes the data on to %s recipients, more than the %s a notice can meaningfully name",
			[rname, lib.thousands(o.recipients), lib.thousands(input.params.onwardRecipients)],
		),
		"evidence": {"recipients": o.recipients, "threshold": input.params.onwardRecipients, "flows": flows_of(rname)},
	}
}

deny contains finding if {
	some rname, o in onward
	disclosed := object.get(o, "disclosed", 0)
	disclosed < o.recipients
	finding := {
		"recipient": rname,
		"field": "spec.onward.disclosed",
		"key": "undisclosed",
		"message": sprintf(
			"%s passes the data on to %s recipients, of which only %s are disclosed (%s)",
			[rname, lib.thousands(o.recipients), lib.thousands(disclosed), lib.percent(disclosed / o.recipients)],
		),
		"evidence": {
			"recipients": o.recipients,
			"disclosed": disclosed,
			"undisclosed": o.recipients - disclosed,
			"flows": flows_of(rname),
		},
	}
}

deny contains finding if {
	some rname, o in onward
	countries := {c | some c in object.get(o, "countries", [])}
	vague(countries)
	finding := {
		"recipient": rname,
		"field": "spec.onward.countries",
		"key": "countries",
		"message": sprintf(
			"%s passes the data on to %s recipients in %s: the onward countries must be named",
			[rname, lib.thousands(o.recipients), countries_text(countries)],
		),
		"evidence": {"countries": lib.sorted(countries), "recipients": o.recipients, "flows": flows_of(rname)},
	}
}

deny contains finding if {
	some rname, o in onward
	not o.contractual == true
	finding := {
		"recipient": rname,
		"field": "spec.onward.contractual",
		"key": "contract",
		"message": sprintf(
			"%s passes the data on to %s recipients that no contract binds to the protective measures",
			[rname, lib.thousands(o.recipients)],
		),
		"evidence": {"contractual": false, "recipients": o.recipients, "flows": flows_of(rname)},
	}
}

vague(countries) if "worldwide" in countries

vague(countries) if count(countries) == 0

countries_text(countries) := lib.join(countries) if count(countries) > 0

else := "unspecified countries"

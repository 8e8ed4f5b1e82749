# METADATA
# title: Observed destination country not declared
# description: >-
#   The destination country is a notice item of PIPA Art. 28-8(2)2 and part of
#   the privacy-policy disclosure (Art. 30), so data reaching a country the
#   flow does not declare goes where the subjects were never told it would.
#   The rule compares each country seen in a flow's logs with the flow's
#   declared `countries` and reports each undeclared country once, with the
#   days and volume seen. Traffic observed in Korea is not reported: it is
#   not an overseas transfer.
# custom:
#   id: XB-COUNTRY-MISMATCH
#   severity: high
#   articles:
#     - PIPA 28-8(2)2
#     - PIPA 28-8(3)
#     - PIPA 30(1)
#   title_ko: 이전국가 불일치
#   remediation: >-
#     Find out why the data reaches this country; either reroute it to the
#     declared destinations or declare the country in the manifest, the
#     consent notice and the privacy policy (and collect consent again when
#     the flow relies on consent).
#   remediation_ko: >-
#     해당 국가로 전송되는 원인을 확인하여 신고된 목적지로 경로를 바꾸거나, 매니페스트·동의 고지·
#     처리방침에 국가를 추가하십시오(동의 기반이면 다시 동의를 받으십시오).
#   needs:
#     - observations
package xborder.rules.xb_country_mismatch

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	declared := {c | some c in f.countries}
	seen := [[c, o] | some o in lib.observed[name]; some c in o.countries; not c in declared; c != "KR"]
	some country in {p[0] | some p in seen}
	obs := [o | some p in seen; p[0] == country; o := p[1]]
	span := lib.day_span({o.day | some o in obs})
	finding := {
		"flow": name,
		"field": "spec.countries",
		"key": country,
		"message": sprintf(
			"%s sent data to %s on %d day(s) (%s to %s), but declares only %s",
			[name, country, span.days, span.first, span.last, concat(", ", lib.sorted(declared))],
		),
		"evidence": object.union(span, {
			"country": country,
			"declared": lib.sorted(declared),
			"records": sum([o.records | some o in obs]),
			"maxSubjects": max([o.subjects | some o in obs]),
			"hosts": lib.sorted({h | some o in obs; some h in object.get(o, "hosts", [])}),
		}),
	}
}

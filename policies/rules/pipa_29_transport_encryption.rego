# METADATA
# title: Personal data sent unencrypted or over TLS below 1.2
# description: >-
#   PIPA Art. 29 and the PIPC's safety-measures standards require personal
#   information to be encrypted when it is sent over a network. The rule
#   fires on a flow carrying personal items whose declared
#   `safeguards.transport`, or a transport seen in its logs, is in
#   data.xborder.reference.weak_transport (plaintext or none, TLS 1.0 or 1.1);
#   each weak transport is one finding, with the days it was seen.
# custom:
#   id: PIPA-29-TRANSPORT-ENCRYPTION
#   severity: high
#   articles:
#     - PIPA 29
#   title_ko: 전송구간 암호화 미흡
#   remediation: >-
#     Enforce TLS 1.2 or later (mutual TLS for batch endpoints) or encrypted
#     files (SFTP, PGP) with managed keys, and refuse plaintext fallbacks at
#     the egress gateway.
#   remediation_ko: >-
#     TLS 1.2 이상(배치 전송은 상호 TLS) 또는 키를 관리하는 암호화 파일 전송(SFTP, PGP)을 적용하고,
#     외부 전송 게이트웨이에서 평문 전송을 차단하십시오.
package xborder.rules.pipa_29_transport_encryption

import data.xborder.lib

weak := {t | some t in lib.ref.weak_transport}

deny contains finding if {
	some name, f in input.flows
	f.safeguards.transport in weak
	personal := lib.personal(lib.all_items(f))
	count(personal) > 0
	finding := {
		"flow": name,
		"field": "spec.safeguards.transport",
		"key": sprintf("declared:%s", [f.safeguards.transport]),
		"message": sprintf(
			"%s declares %s transport for personal data (%s)",
			[name, f.safeguards.transport, lib.join(personal)],
		),
		"evidence": {"transport": f.safeguards.transport, "personalItems": lib.sorted(personal)},
	}
}

deny contains finding if {
	some name, f in input.flows
	some tls in {t | some o in lib.observed[name]; some t in o.tls; t in weak}
	personal := lib.personal(lib.all_items(f))
	count(personal) > 0
	obs := [o | some o in lib.observed[name]; tls in o.tls]
	span := lib.day_span({o.day | some o in obs})
	finding := {
		"flow": name,
		"field": "spec.safeguards.transport",
		"key": sprintf("observed:%s", [tls]),
		"message": sprintf(
			"%s sent personal data with transport %q on %d day(s) (%s to %s)",
			[name, tls, span.days, span.first, span.last],
		),
		"evidence": object.union(span, {
			"tls": tls,
			"recordsOnThoseDays": sum([o.records | some o in obs]),
			"declared": object.get(f, ["safeguards", "transport"], ""),
			"personalItems": lib.sorted(personal),
		}),
	}
}

# METADATA
# title: Identifiers protected by reversible hashing or encoding
# description: |
#   A public, unkeyed and unsalted hash of a low-entropy identifier (a Korean
#   mobile number has about 10^8 candidates) is reversed by enumeration: FSS
#   recovered Kakao Pay's SHA-256-hashed phone numbers, e-mails and IDs with
#   public tools. Encoding (base64) or no protection at all is weaker still. Such
#   data remains personal data and is not adequately protected (PIPA 29). This
#   rule fires when a flow carries identifier or contact items and either the
#   declared spec.safeguards.identifiers method is a weak one with keyed and
#   salted both false, or the logs show identifying items sent under a weak
#   protection.
# custom:
#   id: PIPA-29-WEAK-PSEUDONYMIZATION
#   severity: high
#   articles: ["PIPA 29"]
#   title_ko: 취약한 해시·인코딩에 의한 식별자 보호
#   remediation: >-
#     Replace plain hashes and encodings with a keyed HMAC or tokenisation whose
#     key stays with the controller, rotate the key, and keep treating the output
#     as personal information that still needs a legal basis.
#   remediation_ko: >-
#     단순 해시·인코딩 대신 키를 처리자가 보관하는 HMAC 또는 토큰화를 쓰고 키를 주기적으로 교체하십시오.
#     결과값도 여전히 개인정보이므로 법적 근거가 필요합니다.
package xborder.rules.pipa_29_weak_pseudonymization

import data.xborder.lib

weak := {p | some p in lib.ref.weak_protections}

deny contains finding if {
	some name, f in input.flows

	# Nothing weak declared and nothing logged: nothing to judge.
	suspect(f, name)
	declared := declared_weak(f)
	count(declared) + count(lib.observed[name]) > 0
	identifying := lib.identifying({i | some i in f.items} | lib.observed_items(name))
	count(identifying) > 0
	observed := observed_weak([o | some o in lib.observed[name]; count({i | some i in o.items; i in identifying}) > 0])
	count(declared) + count(observed) > 0
	finding := {
		"flow": name,
		"field": field(declared),
		"message": sprintf(
			"%s sends identifying items (%s) with %s: whoever holds the data can recover the identifiers, if need be by enumerating them",
			[name, lib.join(identifying), concat(" and ", array.concat(declared_text(declared), observed_text(observed)))],
		),
		"evidence": {
			"identifyingItems": lib.sorted(identifying),
			"declared": declared_evidence(declared),
			"observed": observed,
			"weakProtections": lib.sorted(weak),
		},
	}
}

# suspect(f, name) holds when the flow declares a weak identifier method or
# has logs: a cheap test, so that most flows are dismissed before the
# declaration is read in full.
suspect(f, _) if lower(f.safeguards.identifiers.method) in weak

suspect(_, name) if count(lib.observed[name]) > 0

# declared_weak(f) is {method} when the declared method is weak, unkeyed and unsalted.
declared_weak(f) := {m} if {
	m := lower(f.safeguards.identifiers.method)
	m in weak
	not f.safeguards.identifiers.keyed
	not f.safeguards.identifiers.salted
} else := set()

# observed_weak(hits) lists, per weak protection, the days and records of the
# observations (hits: those that carried identifying items) sent under it.
observed_weak(hits) := [{"protection": p, "days": count(days), "firstDay": min(days), "lastDay": max(days), "records": sum(records)} |
	some p in sort({lower(x) | some o in hits; some x in o.protections; lower(x) in weak})
	obs := [o | some o in hits; p in {lower(x) | some x in o.protections}]
	days := {o.day | some o in obs}
	records := [o.records | some o in obs]
]

field(declared) := "spec.safeguards.identifiers.method" if count(declared) > 0

else := "spec.safeguards.identifiers"

declared_evidence(declared) := {"method": m, "keyed": false, "salted": false} if some m in declared

else := null

declared_text(declared) := [describe(m) | some m in declared]

describe(m) := "no protection at all (declared method: plain)" if m == "plain"

else := "no protection at all (declared method: none)" if m == "none"

else := sprintf("unkeyed, unsalted %s (declared)", [m])

observed_text(observed) := [sprintf("%s seen in the logs on %d day(s)", [o.protection, o.days]) | some o in observed]

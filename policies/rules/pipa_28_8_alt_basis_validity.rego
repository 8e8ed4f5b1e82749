# METADATA
# title: Certification or adequacy basis does not hold on the transfer day
# description: >-
#   PIPA Art. 28-8(1)4 allows a transfer to a recipient holding a certification
#   the PIPC has designated and notified, and Art. 28-8(1)5 a transfer to a
#   country the PIPC has recognised as equivalent. Both hold only while they
#   are in force: a certification within its validity window (Decree Art.
#   29-8, at most five years), a recognition from its effective date (the
#   EU/EEA recognition from 16 Sep 2025) and never for the categories it
#   excludes (resident registration numbers and personal credit information).
#   The rule judges every transfer day (the observation days, or the
#   evaluation date without logs) against data.xborder.reference.recognitions
#   and the recipient's certifications.
# custom:
#   id: PIPA-28-8-ALT-BASIS-VALIDITY
#   severity: high
#   articles:
#     - PIPA 28-8(1)4
#     - PIPA 28-8(1)5
#     - PIPA Decree 29-8
#     - PIPA Decree 29-9
#   title_ko: 인증·동등성 인정 근거 부적합
#   remediation: >-
#     Rely on a basis that holds on every transfer day: renew or obtain a
#     PIPC-notified certification, or switch to separate consent or the
#     contract basis; remove resident registration numbers and credit
#     information from flows relying on a recognition that excludes them;
#     track the PIPC's list of recognised countries.
#   remediation_ko: >-
#     모든 이전일에 유효한 근거를 갖추십시오. 개인정보보호위원회가 고시한 인증을 갱신·취득하거나 별도
#     동의 또는 계약이행 근거로 전환하고, 인정 대상에서 제외된 주민등록번호·개인신용정보는 해당
#     이전에서 제외하며, 위원회의 인정 국가 목록을 확인하십시오.
package xborder.rules.pipa_28_8_alt_basis_validity

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "certification"
	lib.foreign(f)
	certs := object.get(input.recipients, [f.recipient, "certifications"], [])
	invalid := {d | some d in lib.transfer_days(f); not certified(certs, d)}
	span := lib.day_span(invalid)
	finding := {
		"flow": name,
		"field": "spec.legalBasis.overseas",
		"key": "certification",
		"message": sprintf(
			"%s relies on certification, but %s held no PIPC-notified certification valid on %d day(s) (%s to %s)",
			[name, f.recipient, span.days, span.first, span.last],
		),
		"evidence": object.union(span, {
			"recipient": f.recipient,
			"examples": array.slice(lib.sorted(invalid), 0, 5),
			"certifications": [summary(c) | some c in certs],
		}),
	}
}

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "adequacy"
	lib.foreign(f)
	pairs := {[c, d] |
		some d in lib.transfer_days(f)
		some c in day_countries(f, d)
		not recognised(c, d)
	}
	some country in {p[0] | some p in pairs}
	span := lib.day_span({p[1] | some p in pairs; p[0] == country})
	covering := [r | some r in lib.ref.recognitions; country in r.countries]
	finding := {
		"flow": name,
		"field": "spec.legalBasis.overseas",
		"key": country,
		"message": adequacy_message(name, country, covering, span),
		"evidence": object.union(span, {
			"country": country,
			"recognitions": [{"name": r.name, "from": r.from} | some r in covering],
		}),
	}
}

deny contains finding if {
	some name, f in input.flows
	f.legalBasis.overseas == "adequacy"
	lib.foreign(f)
	some r in lib.ref.recognitions
	countries := {c | some c in lib.all_countries(f); c in r.countries}
	count(countries) > 0
	excluded := {i | some i in lib.all_items(f); some cat in r.excludedCategories; cat in lib.categories(i)}
	count(excluded) > 0
	finding := {
		"flow": name,
		"field": "spec.items",
		"key": sprintf("excluded:%s", [r.name]),
		"message": sprintf(
			"%s relies on adequacy for %s, but the recognition excludes %s: the flow carries %s",
			[name, concat(", ", lib.sorted(countries)), concat(", ", r.excludedCategories), concat(", ", lib.sorted(excluded))],
		),
		"evidence": {
			"items": lib.sorted(excluded),
			"countries": lib.sorted(countries),
			"recognition": r.name,
			"excludedCategories": r.excludedCategories,
		},
	}
}

# certified holds when a PIPC-notified certification is valid on day d; an
# undeclared bound leaves that side of the window open.
certified(certs, d) if {
	some c in certs
	c.pipcNotified == true
	object.get(c, "validFrom", "") <= d
	not_after(d, object.get(c, "validUntil", ""))
}

not_after(_, "")

not_after(d, until) if d <= until

summary(c) := {
	"scheme": object.get(c, "scheme", ""),
	"pipcNotified": object.get(c, "pipcNotified", false),
	"validFrom": object.get(c, "validFrom", ""),
	"validUntil": object.get(c, "validUntil", ""),
}

# day_countries are the foreign countries a flow reached on day d: declared,
# its recipient's, and those observed that day.
day_countries(f, d) := (({c | some c in f.countries} | lib.recipient_country(f)) | {c |
	some o in lib.observed[f.name]
	o.day == d
	some c in o.countries
}) - {"", "KR"}

recognised(c, d) if {
	some r in lib.ref.recognitions
	c in r.countries
	r.from <= d
	not_after(d, object.get(r, "until", ""))
}

adequacy_message(name, country, [], span) := sprintf(
	"%s relies on adequacy for %s, which the PIPC has not recognised (%d transfer day(s), %s to %s)",
	[name, country, span.days, span.first, span.last],
)

adequacy_message(name, country, covering, span) := sprintf(
	"%s relies on adequacy for %s, but its recognition applies only from %s; %d transfer day(s) predate it (%s to %s)",
	[name, country, min({r.from | some r in covering}), span.days, span.first, span.last],
) if {
	count(covering) > 0
}

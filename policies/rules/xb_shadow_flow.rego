# METADATA
# title: Undeclared outbound personal-data flow abroad
# description: |
#   Logged traffic that matches no declared DataFlow (neither its integration
#   nor its host) and carries personal items to a country other than KR is a
#   shadow transfer: it has no declared basis, recipient, notice or safeguards,
#   and may be a leak. Each (integration or host, country) pair is one finding
#   over every day of the run's logs. Traffic whose country was not logged is
#   not judged here; XB-DATA-QUALITY counts the unmatched lines.
# custom:
#   id: XB-SHADOW-FLOW
#   severity: critical
#   articles: ["PIPA 28-8(1)", "PIPA 29", "PIPA 34"]
#   title_ko: 미신고(섀도) 개인정보 국외 전송
#   remediation: >-
#     Block or contain the traffic, find the owning team and either declare it as
#     a DataFlow with a legal basis, recipient and safeguards or stop it. Assess
#     whether it is a leak that must be reported under Art. 34.
#   remediation_ko: >-
#     전송을 차단하거나 격리하고 담당 조직을 찾아, 법적 근거·수령자·보호조치를 갖춘 DataFlow로
#     신고하거나 중단하십시오. 제34조에 따른 유출 신고 대상인지 판단하십시오.
#   needs: [observations]
package xborder.rules.xb_shadow_flow

import data.xborder.lib

# groups are the (key, country) pairs of unmatched personal-data traffic abroad.
groups contains [u.key, u.country] if {
	some u in input.unmatched
	u.country != ""
	u.country != "KR"
	count(lib.personal(u.items)) > 0
}

deny contains finding if {
	some [key, country] in groups
	rows := [u | some u in input.unmatched; u.key == key; u.country == country]
	days := sort({u.day | some u in rows})
	items := {i | some u in rows; some i in u.items}
	personal := lib.personal(items)
	records := sum([u.records | some u in rows])
	peak := max([u.subjects | some u in rows])
	finding := {
		"key": sprintf("%s|%s", [key, country]),
		"message": sprintf(
			"undeclared traffic to %s in %s carried personal data (%s) on %d day(s) from %s to %s: %s records, up to %s subjects a day; no DataFlow declares this integration or host",
			[describe(rows, key), country, lib.join(personal), count(days), days[0], days[count(days) - 1], lib.thousands(records), lib.thousands(peak)],
		),
		"evidence": {
			"unmatchedKey": key,
			"country": country,
			"integrations": lib.sorted({u.integration | some u in rows; u.integration != ""}),
			"hosts": lib.sorted({u.host | some u in rows; u.host != ""}),
			"days": days,
			"dayCount": count(days),
			"records": records,
			"maxDailySubjects": peak,
			"subjectsEstimated": count([1 | some u in rows; u.subjectsEstimated]) > 0,
			"items": lib.sorted(items),
			"personalItems": lib.sorted(personal),
			"unknownItems": lib.sorted({i | some u in rows; some i in u.unknownItems}),
			"bytes": sum([object.get(u, "bytes", 0) | some u in rows]),
		},
	}
}

describe(rows, key) := sprintf("integration %s", [key]) if {
	some u in rows
	u.integration == key
} else := sprintf("host %s", [key])

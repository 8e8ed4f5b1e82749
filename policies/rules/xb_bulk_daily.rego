# METADATA
# title: Bulk or full-base daily export abroad
# description: |
#   The Kakao Pay pattern: the whole subject base (40.45 million people) sent to
#   Alipay once a day for years, when the purpose concerned fewer than 20% of
#   them. A foreign flow whose logs show, on at least params.bulkDays days of the
#   trailing params.bulkWindowDays-day window ending at asOf, a daily distinct
#   subject count of at least params.bulkShare of the organization's subject base
#   (active users, else total) or at least params.bulkAbsolute subjects is a bulk
#   export. The thresholds are policy choices of the tool, not statutory numbers.
# custom:
#   id: XB-BULK-DAILY
#   severity: critical
#   articles: ["PIPA 3(1)", "PIPA 16(1)", "PIPA 17(1)", "PIPA 28-8(1)"]
#   title_ko: 대량·전체 이용자 일일 국외 전송
#   remediation: >-
#     Send per transaction, or only the subjects who triggered the purpose (delta
#     transfers) instead of the whole base; re-examine the legal basis for the
#     subjects who are sent, and assess the flow's impact before it resumes.
#   remediation_ko: >-
#     전체 이용자 대신 거래 단위로, 또는 목적에 해당하는 정보주체만(변경분) 전송하십시오. 전송되는
#     정보주체에 대한 법적 근거를 다시 검토하고, 재개 전에 영향평가를 하십시오.
#   needs: [observations]
package xborder.rules.xb_bulk_daily

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	lib.foreign(f)
	by_day := {o.day: o | some o in lib.observed[name]; o.subjects >= threshold; lib.within_window(o.day)}
	count(by_day) >= input.params.bulkDays
	days := [{
		"day": d,
		"subjects": by_day[d].subjects,
		"records": by_day[d].records,
		"share": share(by_day[d].subjects),
	} |
		some d in sort(object.keys(by_day))
	]
	peak := max([d.subjects | some d in days])
	finding := {
		"flow": name,
		"message": sprintf(
			"%s sent up to %s subjects a day to %s (%s) on %d of the last %d days; bulk means %s subjects a day on %d days",
			[
				name, lib.thousands(peak), lib.join(lib.all_countries(f) - {"KR"}), base_text(peak),
				count(days), input.params.bulkWindowDays, limit_text, input.params.bulkDays,
			],
		),
		"evidence": {
			"days": days,
			"dayCount": count(days),
			"peakSubjects": peak,
			"subjectBase": base,
			"subjectBaseKind": base_kind,
			"subjectsEstimated": count([1 | some d in object.keys(by_day); by_day[d].subjectsEstimated]) > 0,
			"thresholds": {
				"bulkShare": input.params.bulkShare,
				"bulkAbsolute": input.params.bulkAbsolute,
				"bulkDays": input.params.bulkDays,
				"bulkWindowDays": input.params.bulkWindowDays,
			},
		},
	}
}

# base is the subject base shares are measured against (0 when undeclared).
base := lib.subject_base if lib.subject_base > 0

else := 0

base_kind := "active" if input.organization.subjects.active > 0

else := "total"

# threshold is the daily distinct subject count from which a day is a bulk
# day: bulkAbsolute, or bulkShare of the subject base when that is lower.
threshold := min({input.params.bulkAbsolute, input.params.bulkShare * base}) if base > 0

else := input.params.bulkAbsolute

share(n) := round((n / base) * 1000) / 1000 if base > 0

else := null

base_text(n) := sprintf("%s of the %s %s subject base", [lib.percent(n / base), lib.thousands(base), base_kind]) if base > 0

else := "no subject base declared"

limit_text := sprintf(
	"at least %s of the subject base or %s",
	[lib.percent(input.params.bulkShare), lib.thousands(input.params.bulkAbsolute)],
) if base > 0

else := sprintf("at least %s", [lib.thousands(input.params.bulkAbsolute)])

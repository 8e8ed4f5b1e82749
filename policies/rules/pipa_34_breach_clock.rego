# METADATA
# title: Undeclared personal-data egress that may be a reportable leak (72-hour clock)
# description: >-
#   PIPA Art. 34 and its Decree require a leak to be reported to the PIPC or
#   KISA within 72 hours when it affects 1,000 or more data subjects or
#   involves sensitive or unique-identifier data. Personal data leaving for a
#   destination abroad that no DataFlow declares (an XB-SHADOW-FLOW) may be
#   such a leak. The rule fires per shadow destination (integration or host,
#   country) whose largest daily count of distinct subjects reaches
#   params.breachSubjects, or that carries sensitive, unique_id or rrn items.
#   Detection is the start of the first day the traffic was seen (KST) and the
#   report is due 72 hours later; whether the egress really is a leak is for
#   the controller to assess.
# custom:
#   id: PIPA-34-BREACH-CLOCK
#   severity: high
#   articles:
#     - PIPA 34
#   title_ko: 유출 신고 기한 (72시간)
#   remediation: >-
#     Contain the egress, assess whether it is a leak, and if so notify the
#     data subjects and report to the PIPC or KISA before the due time; keep
#     the assessment with the finding if it is not a leak.
#   remediation_ko: >-
#     전송을 차단하고 유출 여부를 판단하여, 유출이면 기한 내에 정보주체에게 통지하고 개인정보보호위원회
#     또는 한국인터넷진흥원에 신고하십시오. 유출이 아니면 그 판단 근거를 기록해 두십시오.
#   needs:
#     - observations
package xborder.rules.pipa_34_breach_clock

import data.xborder.lib

grave := {"sensitive", "unique_id", "rrn"}

# groups are the (key, country) pairs of unmatched personal-data traffic
# abroad: the same grouping as XB-SHADOW-FLOW.
groups contains [u.key, u.country] if {
	some u in input.unmatched
	not u.country in {"", "KR"}
	count(lib.personal(u.items)) > 0
}

deny contains finding if {
	some [key, country] in groups
	rows := [u | some u in input.unmatched; u.key == key; u.country == country]
	items := {i | some u in rows; some i in u.items}
	grave_items := {i | some i in items; some c in lib.categories(i); c in grave}
	peak := max([affected(u) | some u in rows])
	some reason in reasons(peak, grave_items)
	detected := min({u.day | some u in rows})
	finding := {
		"key": sprintf("%s|%s", [key, country]),
		"message": sprintf(
			"undeclared egress %s to %s first seen on %s %s: a possible leak, report due by %s",
			[key, country, detected, reason, due_time(due_day(detected))],
		),
		"evidence": object.union(clock(detected), {
			"unmatchedKey": key,
			"country": country,
			"maxDailySubjects": peak,
			"subjectsFromRecords": count([u | some u in rows; object.get(u, "subjects", 0) == 0]) > 0,
			"threshold": input.params.breachSubjects,
			"graveItems": lib.sorted(grave_items),
			"personalItems": lib.sorted(lib.personal(items)),
			"days": count({u.day | some u in rows}),
			"records": sum([u.records | some u in rows]),
		}),
	}
}

# clock(detected) is the 72-hour clock started at the beginning (KST) of the
# day the traffic was first seen.
clock(detected) := {
	"detected": detected,
	"detectedAt": due_time(detected),
	"reportDue": due_time(due_day(detected)),
	"overdue": input.asOf >= due_day(detected),
}

# affected(u) is the distinct subjects of a group-day, or its records when the
# logs carried no subject keys.
affected(u) := u.subjects if u.subjects > 0

else := u.records

# reasons is one description of why the 72-hour rule applies, the grave items first.
reasons(peak, grave_items) := {sprintf("carrying %s", [lib.join(grave_items)])} if {
	count(grave_items) > 0
} else := {sprintf("reaching %s subjects in a day", [lib.thousands(peak)])} if {
	peak >= input.params.breachSubjects
}

# due_day(day) is the day three days (72 hours) after day.
due_day(day) := time.format([lib.ns(day) + (3 * lib.day_ns), "UTC", "2006-01-02"])

# due_time(day) is the start of day in Korea Standard Time.
due_time(day) := sprintf("%sT00:00:00+09:00", [day])

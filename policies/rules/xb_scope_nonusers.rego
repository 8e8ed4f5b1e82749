# METADATA
# title: Flow reaches subjects outside the purpose's population
# description: >-
#   Minimisation (PIPA Arts. 3(1) and 16(1)) limits a transfer to the people
#   its purpose concerns. Kakao Pay sent its whole user base daily although
#   fewer than 20% of the users had anything to do with Apple. The rule fires
#   when a flow declares `subjects: all_users` for a service-specific purpose
#   (scoring, matching, fraud prevention, marketing), and when a flow declared
#   for service_users or transacting_only reaches, on some observed day, at
#   least (1 - params.outOfScopeShare) of the subject base (active subjects,
#   else total): a population that large is the whole base, not the users of
#   one service. The share is a policy choice, not law.
# custom:
#   id: XB-SCOPE-NONUSERS
#   severity: high
#   articles:
#     - PIPA 3(1)
#     - PIPA 16(1)
#     - PIPA 17(1)
#     - PIPA 28-8(1)
#   title_ko: 목적 무관 이용자 포함
#   remediation: >-
#     Filter the flow at the source to the subjects who enrolled in or used
#     the service the purpose concerns, and declare that scope; send deltas
#     for those subjects rather than the whole base.
#   remediation_ko: >-
#     전송 대상을 해당 서비스에 가입했거나 이를 이용한 정보주체로 원천에서 제한하고 그 범위를
#     신고하며, 전체 이용자 대신 해당 정보주체의 변경분만 전송하십시오.
package xborder.rules.xb_scope_nonusers

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	f.subjects == "all_users"
	specific := {p | some p in f.purposes; lib.purpose(p).serviceSpecific}
	count(specific) > 0
	finding := {
		"flow": name,
		"field": "spec.subjects",
		"key": "declared",
		"message": sprintf(
			"%s sends data on all users for the service-specific purpose(s) %s",
			[name, concat(", ", lib.sorted(specific))],
		),
		"evidence": {"subjects": "all_users", "serviceSpecificPurposes": lib.sorted(specific)},
	}
}

deny contains finding if {
	some name, f in input.flows
	f.subjects in {"service_users", "transacting_only"}
	count(lib.observed[name]) > 0
	lib.subject_base > 0
	share := 1 - input.params.outOfScopeShare
	threshold := share * lib.subject_base
	hits := [o | some o in lib.observed[name]; o.subjects >= threshold]
	count(hits) > 0
	span := lib.day_span({o.day | some o in hits})
	peak := max([o.subjects | some o in hits])
	finding := {
		"flow": name,
		"field": "spec.subjects",
		"key": "observed",
		"message": sprintf(
			"%s is declared for %s but reached %d subjects (%v%% of the %d-subject base) on %d day(s) from %s",
			[name, f.subjects, peak, round((peak * 1000) / lib.subject_base) / 10, lib.subject_base, span.days, span.first],
		),
		"evidence": object.union(span, {
			"subjects": f.subjects,
			"maxSubjects": peak,
			"subjectBase": lib.subject_base,
			"thresholdShare": share,
			"outOfScopeShare": input.params.outOfScopeShare,
			"estimatedDays": count([o | some o in hits; o.subjectsEstimated == true]),
		}),
	}
}

# METADATA
# title: Manifest without owner, stale review or missing schedule
# description: >-
#   The manifests are the inventory of overseas transfers an auditor asks for
#   (ISMS-P 3.3.4, 1.2.1) and the source of the privacy policy (PIPA Art. 30),
#   so each needs an accountable owner, a review within params.reviewAgeDays
#   (a policy choice, not law) and a declared schedule. The rule fires once per
#   missing owner, missing or stale review date, and missing schedule. A
#   missing retention period is a notice defect reported by PIPA-21-RETENTION,
#   not here.
# custom:
#   id: XB-MANIFEST-HYGIENE
#   severity: low
#   articles:
#     - PIPA 30
#     - ISMS-P 3.3.4
#     - ISMS-P 1.2.1
#   title_ko: 이전 목록 관리 미흡
#   remediation: >-
#     Name an owning team in metadata.owner, review every manifest at least
#     within the review age (and record metadata.reviewed), and declare the
#     transfer schedule; tie the review to change management.
#   remediation_ko: >-
#     metadata.owner에 담당 조직을 기재하고, 정해진 주기 내에 매니페스트를 검토하여 metadata.reviewed를
#     기록하며, 전송 주기를 명시하고 변경관리 절차와 연계하십시오.
package xborder.rules.xb_manifest_hygiene

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows
	object.get(f, "owner", "") == ""
	finding := {
		"flow": name,
		"field": "metadata.owner",
		"key": "owner",
		"message": sprintf("%s names no owning team (metadata.owner)", [name]),
		"evidence": {"owner": ""},
	}
}

deny contains finding if {
	some name, f in input.flows
	object.get(f, "reviewed", "") == ""
	finding := {
		"flow": name,
		"field": "metadata.reviewed",
		"key": "review",
		"message": sprintf("%s has never been reviewed (no metadata.reviewed)", [name]),
		"evidence": {"reviewed": "", "maxAgeDays": input.params.reviewAgeDays},
	}
}

deny contains finding if {
	some name, f in input.flows
	age := lib.age_days(f.reviewed)
	age > input.params.reviewAgeDays
	finding := {
		"flow": name,
		"field": "metadata.reviewed",
		"key": "review",
		"message": sprintf(
			"%s was last reviewed on %s, %d days before %s (limit %d days)",
			[name, f.reviewed, age, input.asOf, input.params.reviewAgeDays],
		),
		"evidence": {"reviewed": f.reviewed, "ageDays": age, "maxAgeDays": input.params.reviewAgeDays},
	}
}

deny contains finding if {
	some name, f in input.flows
	object.get(f, "schedule", "") == ""
	finding := {
		"flow": name,
		"field": "spec.schedule",
		"key": "schedule",
		"message": sprintf("%s declares no transfer schedule (realtime, daily, weekly, monthly or on_demand)", [name]),
		"evidence": {"schedule": ""},
	}
}

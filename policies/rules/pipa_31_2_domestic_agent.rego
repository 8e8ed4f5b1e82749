# METADATA
# title: Foreign controller for Korean users without a domestic agent
# description: >-
#   A controller with no address or office in Korea must designate a domestic
#   agent in writing, with an address in Korea, and give its name, address,
#   phone and e-mail in the privacy policy (PIPA Art. 31-2) once it has total
#   revenue of at least KRW 1 trillion or stores or manages the data of at
#   least 1,000,000 Korean data subjects a day on average (Decree Art. 32-2).
#   Temu had 2.9 million daily Korean users and no agent. The rule judges the
#   audited organization when its country is not KR, and every foreign
#   recipient that acts as a controller for Korean users (it declares Korean
#   daily users, or receives a provision, or its "entrustment" serves others),
#   against params.domesticAgentRevenueKRW and params.domesticAgentDailyUsers.
# custom:
#   id: PIPA-31-2-DOMESTIC-AGENT
#   severity: medium
#   articles:
#     - PIPA 31-2
#     - PIPA 31-2(3)
#     - PIPA Decree 32-2
#   title_ko: 국내대리인 미지정
#   remediation: >-
#     Designate a domestic agent in writing, with an address in Korea (check
#     whether a Korean subsidiary must be the agent), and publish its name,
#     address, phone and e-mail in the privacy policy; require the same of
#     foreign recipients that control Korean users' data.
#   remediation_ko: >-
#     국내에 주소를 둔 국내대리인을 서면으로 지정하고(국내 법인을 대리인으로 지정해야 하는지 확인)
#     그 성명, 주소, 전화번호, 전자우편 주소를 처리방침에 공개하며, 한국 이용자 정보를 관리하는 해외
#     수령자에게도 같은 조치를 요구하십시오.
package xborder.rules.pipa_31_2_domestic_agent

import data.xborder.lib

deny contains finding if {
	org := input.organization
	org.country != "KR"
	some reason in thresholds_met(org)
	missing := lib.agent_gaps(org)
	count(missing) > 0
	finding := {
		"field": "spec.domesticAgent",
		"key": "organization",
		"message": sprintf(
			"%s (%s) is a foreign controller with %s but %s",
			[org.name, org.country, reason, gaps_text(missing)],
		),
		"evidence": evidence(org, missing),
	}
}

deny contains finding if {
	some rname, r in input.recipients
	r.country != "KR"
	some reason in thresholds_met(r)
	controller(rname, r)
	missing := lib.agent_gaps(r)
	count(missing) > 0
	finding := {
		"recipient": rname,
		"field": "spec.domesticAgent",
		"key": "recipient",
		"message": sprintf(
			"recipient %s (%s) controls Korean users' data with %s but %s",
			[rname, r.country, reason, gaps_text(missing)],
		),
		"evidence": evidence(r, missing),
	}
}

# thresholds_met(holder) is one description of the Decree 32-2 thresholds met
# (the revenue one first), so that a holder meeting both is reported once.
thresholds_met(holder) := {sprintf("revenue of KRW %s", [lib.thousands(holder.revenueKRW)])} if {
	holder.revenueKRW >= input.params.domesticAgentRevenueKRW
} else := {sprintf("%s daily Korean users", [lib.thousands(holder.koreanUsersDaily)])} if {
	holder.koreanUsersDaily >= input.params.domesticAgentDailyUsers
}

controller(_, r) if r.koreanUsersDaily > 0

controller(rname, _) if rname in third_party_recipients

# third_party_recipients receive some flow as a third party; computed once
# per evaluation, so that controller() is a lookup, not a scan of the flows.
third_party_recipients contains f.recipient if {
	some f in input.flows
	lib.third_party(f)
}

gaps_text(missing) := "designates no domestic agent" if count(missing) == 4

else := sprintf("its domestic agent lacks: %s", [lib.join(missing)])

evidence(holder, missing) := {
	"country": holder.country,
	"revenueKRW": object.get(holder, "revenueKRW", 0),
	"koreanUsersDaily": object.get(holder, "koreanUsersDaily", 0),
	"revenueThresholdKRW": input.params.domesticAgentRevenueKRW,
	"dailyUsersThreshold": input.params.domesticAgentDailyUsers,
	"missing": lib.sorted(missing),
}

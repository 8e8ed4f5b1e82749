package xborder.lib.facts_test

import data.xborder.lib

org := {"name": "kakaopay", "country": "KR"}

flows := {
	"nsf": {"name": "nsf", "recipient": "alipay", "type": "entrustment", "items": ["phone"]},
	"pay": {"name": "pay", "recipient": "pg", "type": "storage", "items": []},
	"sell": {"name": "sell", "recipient": "pg", "type": "provision", "items": []},
}

recipients := {
	"alipay": {"name": "alipay", "country": "SG", "beneficiaries": ["apple", "kakaopay"]},
	"pg": {"name": "pg", "country": "KR", "beneficiaries": ["kakaopay"]},
}

observations := [
	{"flow": "nsf", "day": "2024-03-02", "items": ["email"], "countries": ["SG"]},
	{"flow": "nsf", "day": "2024-03-01", "items": ["phone"], "countries": ["CN"]},
]

test_all_items_joins_declared_and_observed if {
	lib.all_items(flows.nsf) == {"phone", "email"} with input as {"flows": flows, "observations": observations}
}

test_beneficiaries_exclude_the_controller if {
	lib.beneficiaries(recipients.alipay) == {"apple"} with input.organization as org
}

test_third_party if {
	tp := {n | some n, f in flows; lib.third_party(f)} with input as {"organization": org, "recipients": recipients}
	tp == {"nsf", "sell"}
}

test_serves_others_by_own_purposes if {
	lib.serves_others({"ownPurposes": ["scoring"]}) with input.organization as org
	not lib.serves_others({"ownPurposes": []}) with input.organization as org
}

test_statutory_needs_a_citation if {
	lib.statutory({"legalBasis": {"provision": "law", "citation": "Act X"}})
	lib.statutory({"legalBasis": {"overseas": "law", "citation": "Treaty Y"}})
	not lib.statutory({"legalBasis": {"overseas": "law"}})
	not lib.statutory({"legalBasis": {"overseas": "consent", "citation": "Act X"}})
}

test_separately_consented if {
	lib.separately_consented({"legalBasis": {"credit": "consent"}, "consent": {"separate": true}})
	lib.separately_consented({"legalBasis": {"transactions": "consent"}, "consent": {"separateProvision": true}})
	not lib.separately_consented({"legalBasis": {"overseas": "contract"}, "consent": {"separate": true}})
	not lib.separately_consented({"legalBasis": {"overseas": "consent"}, "consent": {"separate": false}})
}

test_transfer_days if {
	lib.transfer_days(flows.nsf) == {"2024-03-01", "2024-03-02"} with input as {
		"asOf": "2025-01-01",
		"flows": flows,
		"observations": observations,
	}
	lib.transfer_days(flows.pay) == {"2025-01-01"} with input as {
		"asOf": "2025-01-01",
		"flows": flows,
		"observations": observations,
	}
}

test_day_span if {
	lib.day_span({"2024-03-02", "2024-02-28", "2024-03-01"}) == {"days": 3, "first": "2024-02-28", "last": "2024-03-02"}
	not lib.day_span(set())
}

test_missing_notice if {
	lib.missing_notice({"purpose", "retention"}, ["purpose_retention", "refusal"]) == {"refusal"}
	lib.missing_notice({"purpose_retention"}, ["purpose", "retention", "items"]) == {"items"}
	lib.missing_notice({"purpose"}, ["purpose_retention"]) == {"purpose_retention"}
}

test_agent_gaps if {
	lib.agent_gaps({"domesticAgent": {"name": "A", "address": "", "phone": "1"}}) == {"address", "email"}
	lib.agent_gaps({}) == {"name", "address", "phone", "email"}
}

test_foreign_through_recipient_or_observation if {
	lib.foreign({
		"name": "x",
		"recipient": "alipay",
		"countries": ["KR"],
	}) with input as {"recipients": recipients, "flows": {}}
	lib.foreign(flows.nsf) with input as {"recipients": {}, "flows": flows, "observations": observations}
	not lib.foreign({
		"name": "x",
		"recipient": "nobody",
		"countries": ["KR"],
	}) with input as {"recipients": recipients, "flows": {}}
}

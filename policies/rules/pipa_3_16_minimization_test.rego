package xborder.rules.pipa_3_16_minimization_test

import data.xborder.rules.pipa_3_16_minimization as rule

base := {
	"asOf": "2024-05-31",
	"organization": {"name": "kakaopay", "country": "KR"},
	"recipients": {"alipay": {"name": "alipay", "country": "CN"}},
	"flows": {"alipay-overseas-payment": {
		"name": "alipay-overseas-payment",
		"recipient": "alipay",
		"countries": ["CN"],
		"type": "entrustment",
		"purposes": ["settlement"],
		"items": ["order_id", "account_id", "amount", "currency", "transaction_time"],
	}},
	"observations": [],
}

with_flow(patch) := object.union(base, {"flows": {"alipay-overseas-payment": object.union(base.flows["alipay-overseas-payment"], patch)}})

test_fires_on_account_ids_on_a_settlement_flow if {
	findings := rule.deny with input as base
	count(findings) == 1
	some f in findings
	f.flow == "alipay-overseas-payment"
	f.field == "spec.items[1]"
	f.evidence.excess == ["account_id"]
	f.evidence.identifiers == ["account_id"]
	f.evidence.observedOnly == []
	f.evidence.necessarySource == "purposes"
	f.evidence.necessary == ["amount", "currency", "merchant_id", "order_id", "payment_method", "transaction_time"]
	f.message == "alipay-overseas-payment carries 1 item(s) beyond what its purposes (settlement) need: account_id (identifiers: account_id); necessary: amount, currency, merchant_id, order_id, payment_method, transaction_time"
}

test_counts_observed_items_and_unknown_ones if {
	inp := object.union(with_flow({"items": ["order_id", "amount"]}), {"observations": [{
		"flow": "alipay-overseas-payment", "day": "2024-05-30", "records": 1, "subjects": 1,
		"items": ["order_id", "phone"], "unknownItems": ["kakao_uuid"], "countries": ["CN"],
	}]})
	some f in rule.deny with input as inp
	f.evidence.excess == ["kakao_uuid", "phone"]
	f.evidence.observedOnly == ["kakao_uuid", "phone"]
	f.evidence.identifiers == ["phone"]
	f.evidence.unclassified == ["kakao_uuid"]
	f.field == "spec.items"
	contains(f.message, "(identifiers: phone; not in the item taxonomy: kakao_uuid)")
}

test_reports_unknown_purposes if {
	some f in rule.deny with input as with_flow({"purposes": ["loyalty_sync"], "items": ["order_id", "email"]})
	f.evidence.unknownPurposes == ["loyalty_sync"]
	f.evidence.excess == ["email"]
	endswith(f.message, "necessary: none; no necessary items are known for loyalty_sync: declare spec.necessaryItems")
}

test_quiet_when_declared_necessary if {
	count(rule.deny) == 0 with input as with_flow({"necessaryItems": ["order_id", "account_id", "amount", "currency", "transaction_time"]})
}

test_quiet_for_storage_of_declared_items if {
	count(rule.deny) == 0 with input as with_flow({"purposes": ["storage"], "type": "storage"})
}

test_quiet_when_only_non_personal_items_exceed if {
	count(rule.deny) == 0 with input as with_flow({"purposes": ["delivery"], "items": ["name", "phone", "address", "order_id", "currency"]})
}

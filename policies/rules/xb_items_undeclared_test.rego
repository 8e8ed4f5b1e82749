package xborder.rules.xb_items_undeclared_test

import data.xborder.rules.xb_items_undeclared as rule

obs(day, items, unknown) := {
	"flow": "alipay-overseas-payment", "day": day, "records": 100, "subjects": 90,
	"items": items, "unknownItems": unknown, "countries": ["CN"],
}

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
		"items": ["order_id", "amount", "currency"],
	}},
	"observations": [
		obs("2024-05-01", ["order_id", "amount"], []),
		obs("2024-05-02", ["order_id", "amount", "account_id"], []),
		obs("2024-05-03", ["order_id", "account_id"], ["kakao_uuid"]),
	],
}

test_fires_on_items_seen_but_not_declared if {
	findings := rule.deny with input as base
	count(findings) == 1
	some f in findings
	f.flow == "alipay-overseas-payment"
	f.field == "spec.items"
	f.evidence.items == ["account_id", "kakao_uuid"]
	f.evidence.unknownItems == ["kakao_uuid"]
	f.evidence.days == ["2024-05-02", "2024-05-03"]
	f.evidence.dayCount == 2
	f.evidence.itemDays == {"account_id": 2, "kakao_uuid": 1}
	f.message == "alipay-overseas-payment sent 2 item(s) it does not declare (account_id, kakao_uuid) on 2 day(s) from 2024-05-02 to 2024-05-03; not in the item taxonomy: kakao_uuid"
}

test_quiet_when_logs_stay_within_the_declaration if {
	inp := json.patch(base, [{"op": "replace", "path": "/flows/alipay-overseas-payment/items", "value": ["order_id", "amount", "account_id", "kakao_uuid"]}])
	count(rule.deny) == 0 with input as inp
}

test_quiet_without_logs if {
	count(rule.deny) == 0 with input as object.remove(base, ["observations"])
}

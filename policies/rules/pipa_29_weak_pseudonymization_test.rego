package xborder.rules.pipa_29_weak_pseudonymization_test

import data.xborder.rules.pipa_29_weak_pseudonymization as rule

obs(day, items, protections) := {
	"flow": "alipay-nsf", "day": day, "records": 1000, "subjects": 1000,
	"items": items, "unknownItems": [], "countries": ["SG"], "protections": protections,
}

base := {
	"asOf": "2024-05-31",
	"organization": {"name": "kakaopay", "country": "KR"},
	"recipients": {"alipay": {"name": "alipay", "country": "SG"}},
	"flows": {"alipay-nsf": {
		"name": "alipay-nsf",
		"recipient": "alipay",
		"countries": ["SG"],
		"type": "entrustment",
		"purposes": ["fraud_prevention"],
		"items": ["account_id", "phone", "email", "balance"],
		"safeguards": {"identifiers": {"method": "sha256", "keyed": false, "salted": false}, "pseudonymized": true},
	}},
	"observations": [
		obs("2024-05-01", ["account_id", "phone"], ["sha256"]),
		obs("2024-05-02", ["account_id", "phone"], ["SHA256", "hmac-sha256"]),
		obs("2024-05-03", ["balance"], ["base64"]), # no identifiers: the protection is not about them
	],
}

with_method(m) := json.patch(base, [{"op": "replace", "path": "/flows/alipay-nsf/safeguards/identifiers", "value": m}])

test_fires_on_declared_and_observed_sha256 if {
	findings := rule.deny with input as base
	count(findings) == 1
	some f in findings
	f.field == "spec.safeguards.identifiers.method"
	f.evidence.identifyingItems == ["account_id", "email", "phone"]
	f.evidence.declared == {"method": "sha256", "keyed": false, "salted": false}
	f.evidence.observed == [{"protection": "sha256", "days": 2, "firstDay": "2024-05-01", "lastDay": "2024-05-02", "records": 2000}]
	f.message == "alipay-nsf sends identifying items (account_id, email, phone) with unkeyed, unsalted sha256 (declared) and sha256 seen in the logs on 2 day(s): whoever holds the data can recover the identifiers, if need be by enumerating them"
}

test_fires_on_logs_alone_when_the_declaration_is_keyed if {
	some f in rule.deny with input as with_method({"method": "hmac-sha256", "keyed": true, "salted": false})
	f.evidence.declared == null
	f.field == "spec.safeguards.identifiers"
	count(f.evidence.observed) == 1
}

test_fires_on_declared_plain_identifiers if {
	inp := json.patch(with_method({"method": "plain", "keyed": false, "salted": false}), [{"op": "replace", "path": "/observations", "value": []}])
	some f in rule.deny with input as inp
	f.evidence.observed == []
	f.message == "alipay-nsf sends identifying items (account_id, email, phone) with no protection at all (declared method: plain): whoever holds the data can recover the identifiers, if need be by enumerating them"
}

test_quiet_for_a_salted_declaration_and_strong_logs if {
	inp := json.patch(with_method({"method": "sha256", "keyed": false, "salted": true}), [{"op": "replace", "path": "/observations", "value": [obs("2024-05-01", ["account_id"], ["hmac-sha256"])]}])
	count(rule.deny) == 0 with input as inp
}

test_quiet_without_identifying_items if {
	inp := json.patch(base, [
		{"op": "replace", "path": "/flows/alipay-nsf/items", "value": ["balance", "amount"]},
		{"op": "replace", "path": "/observations", "value": [obs("2024-05-03", ["balance"], ["base64"])]},
	])
	count(rule.deny) == 0 with input as inp
}

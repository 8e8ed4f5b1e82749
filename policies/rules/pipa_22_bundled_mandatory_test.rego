package xborder.rules.pipa_22_bundled_mandatory_test

import data.xborder.rules.pipa_22_bundled_mandatory as rule

flow := {
	"name": "alipay-overseas-payment",
	"recipient": "alipay",
	"purposes": ["settlement", "marketing", "my_purpose"],
	"consent": {"mandatory": true},
}

run(f, r) := findings if {
	findings := rule.deny with input as {
		"asOf": "2025-01-01",
		"organization": {"name": "kakaopay", "country": "KR"},
		"recipients": {"alipay": r},
		"flows": {f.name: f},
		"observations": [],
	}
}

test_mandatory_for_marketing if {
	findings := run(flow, {"name": "alipay"})
	count(findings) == 1
	some f in findings
	f.flow == "alipay-overseas-payment"
	f.field == "spec.consent.mandatory"
	f.evidence.nonCorePurposes == ["marketing"]
	f.evidence.recipientOwnPurposes == []
	f.message == "alipay-overseas-payment makes consent mandatory for marketing, which the core service does not need"
}

test_mandatory_while_recipient_has_own_purposes if {
	findings := run(object.union(flow, {"purposes": ["settlement"]}), {"name": "alipay", "ownPurposes": ["nsf_scoring"]})
	some f in findings
	f.evidence.nonCorePurposes == []
	f.evidence.recipientOwnPurposes == ["nsf_scoring"]
}

test_mandatory_for_core_purposes_is_fine if {
	count(run(object.union(flow, {"purposes": ["settlement", "my_purpose"]}), {"name": "alipay"})) == 0
}

test_optional_consent_is_fine if {
	count(run(object.union(flow, {"consent": {"mandatory": false}}), {"name": "alipay", "ownPurposes": ["x"]})) == 0
}

test_mandatory_while_recipient_has_unknown_own_purposes if {
	some f in run(object.union(flow, {"purposes": ["settlement"]}), {"name": "alipay", "ownPurposes": ["ad_targeting"]})
	f.evidence.recipientOwnPurposes == ["ad_targeting"]
}

# A marketplace seller is a controller of its own, but shipping the buyer's
# order is what the buyer asked for: mandatory consent to that is no bundling.
test_mandatory_while_recipient_own_purposes_are_core_is_fine if {
	count(run(object.union(flow, {"purposes": ["delivery"]}), {"name": "alipay", "ownPurposes": ["delivery"]})) == 0
}

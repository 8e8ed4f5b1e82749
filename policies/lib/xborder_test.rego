package xborder.lib.xborder_test

import data.xborder.lib

test_categories if {
	lib.categories("rrn") == {"rrn"}
	lib.categories("balance") == {"credit_info", "efta_txn"}
	lib.categories("no_such_item") == set()
	lib.categories(7) == set()
}

# The helpers take a set or a list of items and give the same answer.
test_item_helpers_take_sets_and_lists if {
	items := ["phone", "balance", "order_id", "nsf_score", "unknown"]
	every form in [items, {i | some i in items}] {
		lib.in_category(form, "credit_info") == {"balance"}
		lib.in_category(form, "no_such_category") == set()
		lib.in_category(form, ["credit_info"]) == set()
		lib.personal(form) == {"phone", "balance", "nsf_score"}
		lib.identifying(form) == {"phone"}
	}
	lib.has_category({"passport_number"}, "unique_id")
	not lib.has_category({"order_id"}, "unique_id")
}

flows := {
	"a": {"name": "a", "recipient": "r1", "type": "entrustment", "countries": ["KR"]},
	"b": {"name": "b", "recipient": "r1", "type": "storage", "countries": ["KR", ""]},
	"c": {"name": "c", "recipient": "r2", "type": "provision", "countries": ["KR"]},
}

observations := [
	{"flow": "a", "day": "2024-03-02", "countries": ["SG"]},
	{"flow": "c", "day": "2024-03-01", "countries": ["KR"]},
	{"flow": "a", "day": "2024-03-01", "countries": ["JP"]},
]

test_observed_in_input_order if {
	obs := lib.observed with input as {"flows": flows, "observations": observations}
	obs == {"a": [observations[0], observations[2]], "b": [], "c": [observations[1]]}
}

test_all_countries if {
	inp := {"flows": flows, "observations": observations, "recipients": {"r1": {"country": "US"}, "r2": {"country": ""}}}
	lib.all_countries(flows.a) == {"KR", "SG", "JP", "US"} with input as inp
	lib.all_countries(flows.b) == {"KR", "US"} with input as inp
	lib.all_countries(flows.c) == {"KR"} with input as inp
	lib.recipient_country(flows.a) == {"US"} with input as inp
	lib.recipient_country(flows.c) == {""} with input as inp
	lib.recipient_country({"recipient": "nobody"}) == set() with input as inp
}

test_entrusted_flows_by_recipient if {
	lib.entrusted_flows == {"r1": {"a", "b"}} with input.flows as flows
}

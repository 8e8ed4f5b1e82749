# METADATA
# title: Personal items beyond what the purposes need
# description: |
#   A controller may collect and pass on only the minimum personal data its
#   purposes need, and bears the burden of showing that it is the minimum
#   (PIPA 3(1), 16(1)). The necessary items of a flow are spec.necessaryItems
#   when declared, else the taxonomy's defaults for its purposes (all declared
#   items for storage). Every declared or observed personal item (or item
#   unknown to the taxonomy) outside them is reported; identifiers and contact
#   items are listed separately, as in the FSS finding that Kakao Pay's
#   overseas-payment settlement needed only order and payment data, not account
#   IDs.
# custom:
#   id: PIPA-3-16-MINIMIZATION
#   severity: high
#   articles: ["PIPA 3(1)", "PIPA 16(1)"]
#   title_ko: 목적 대비 과다 항목 전송
#   remediation: >-
#     Remove the items the purposes do not need, replacing identifiers with
#     per-transaction tokens where a reference is required; if an item really is
#     necessary, say why and declare it in spec.necessaryItems.
#   remediation_ko: >-
#     목적에 필요 없는 항목을 빼고, 참조가 필요하면 식별자 대신 거래별 토큰을 쓰십시오. 꼭 필요한 항목이면
#     그 이유를 밝히고 spec.necessaryItems에 신고하십시오.
package xborder.rules.pipa_3_16_minimization

import data.xborder.lib

deny contains finding if {
	some name, f in input.flows

	# Declared and logged items (all_items is shared with other rules; the
	# logs add the item IDs the taxonomy does not know).
	sent := lib.all_items(f) | lib.all_observed_items(name)
	necessary := lib.necessary(f)
	excess := relevant(sent - necessary)
	count(excess) > 0
	declared := {i | some i in f.items}
	identifiers := lib.identifying(excess)
	unclassified := {i | some i in excess; count(lib.categories(i)) == 0}
	unknown_purposes := {p | some p in f.purposes; not lib.ref.purposes[p]}
	finding := {
		"flow": name,
		"field": field(f, excess),
		"message": sprintf(
			"%s carries %d item(s) beyond what %s need: %s%s; necessary: %s%s",
			[
				name, count(excess), source_text(f), lib.join(excess), detail_text(identifiers, unclassified),
				necessary_text(necessary), unknown_text(unknown_purposes),
			],
		),
		"evidence": {
			"excess": lib.sorted(excess),
			"identifiers": lib.sorted(identifiers),
			"unclassified": lib.sorted(unclassified),
			"observedOnly": lib.sorted(excess - declared),
			"necessary": lib.sorted(necessary),
			"necessarySource": source(f),
			"purposes": lib.sorted({p | some p in f.purposes}),
			"unknownPurposes": lib.sorted(unknown_purposes),
		},
	}
}

# relevant(items) are the personal items and the items the taxonomy does not know.
relevant(items) := lib.personal(items) | {i | some i in items; count(lib.categories(i)) == 0}

source(f) := "spec.necessaryItems" if f.necessaryItems

else := "storage" if {
	some p in f.purposes
	p == "storage"
}

else := "purposes"

source_text(f) := "its declared necessary items" if source(f) == "spec.necessaryItems"

else := sprintf("its purposes (%s)", [lib.join(f.purposes)])

# field points at the first excess item as written in spec.items.
field(f, excess) := sprintf("spec.items[%d]", [min([i | some i, item in f.items; item in excess])]) if {
	some item in f.items
	item in excess
} else := "spec.items"

detail_text(identifiers, unclassified) := sprintf(" (%s)", [concat("; ", [t |
	some [label, s] in [["identifiers", identifiers], ["not in the item taxonomy", unclassified]]
	count(s) > 0
	t := sprintf("%s: %s", [label, lib.join(s)])
])]) if count(identifiers) + count(unclassified) > 0

else := ""

necessary_text(s) := lib.join(s) if count(s) > 0

else := "none"

unknown_text(s) := sprintf("; no necessary items are known for %s: declare spec.necessaryItems", [lib.join(s)]) if count(s) > 0

else := ""

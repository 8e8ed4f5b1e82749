# METADATA
# title: xborder rule library
# description: |
#   Helpers shared by every rule of the pack: item categories, foreignness,
#   necessary items, dates measured against input.asOf (the only clock), and
#   per-flow observations. Rules import it as data.xborder.lib.
package xborder.lib

ref := data.xborder.reference

day_ns := 86400000000000

# The organization's home country (KR when undeclared).
home := input.organization.country if input.organization.country

else := "KR"

# categories(item) is the set of taxonomy categories of an item (empty when unknown).
categories(item) := object.get(item_categories, item, set()) if is_string(item)

else := set()

# item_categories maps each taxonomy item to its set of categories, built
# once per evaluation (the helpers below look items up in it).
item_categories := {item: {c | some c in cats} | some item, cats in ref.items}

# category_items maps each category to the set of taxonomy items in it.
category_items := {cat: {i | some i, cs in item_categories; cat in cs} | some cat in all_categories}

all_categories := {cat | some cs in item_categories; some cat in cs}

# in_category(items, cat) is the set of items that belong to category cat.
# (A set of items is intersected whole: one operation, not one per item.)
in_category(items, cat) := items & object.get(category_items, cat, set()) if {
	is_set(items)
	is_string(cat)
}

else := {i | some i in items; category_items[cat][i]}

# has_category(items, cat) holds when any item belongs to cat.
has_category(items, cat) if count(in_category(items, cat)) > 0

# identifying_items are the taxonomy items in an identifying category.
identifying_items := {i | some i, cs in item_categories; some c in cs; c in ref.identifying_categories}

# identifying(items) are the identifier, contact, unique-id and rrn items.
identifying(items) := items & identifying_items if is_set(items)

else := {i | some i in items; identifying_items[i]}

# personal_items are the taxonomy items in a category of personal data.
personal_items := {i | some i, cs in item_categories; some c in cs; c in ref.personal_categories}

# personal(items) are the items that carry personal data.
personal(items) := items & personal_items if is_set(items)

else := {i | some i in items; personal_items[i]}

# observed[name] is the list of observations of flow name, in input order,
# for every declared flow: one object built once per evaluation, so that a
# rule looking up one flow pays a lookup. The inner comprehension closes over
# name with an equality, so OPA indexes it (comprehension indexing): the
# observations are grouped by flow in one pass, not scanned once per flow.
# (A partial rule keyed by flow costs more: OPA checks each new key of a
# partial object against every key before it, which is quadratic.)
observed := {name: obs |
	some name, _ in input.flows
	obs := [o | some o in input.observations; o.flow == name]
}

# observed_items(name) is every item seen in the logs of flow name.
observed_items(name) := {i | some o in observed[name]; some i in o.items}

# observed_countries(name) is every country seen in the logs of flow name.
observed_countries(name) := {c | some o in observed[name]; some c in o.countries}

# all_countries(f) are the declared and observed countries of a flow and its recipient.
all_countries(f) := (({c | some c in f.countries} | {c | some o in observed[f.name]; some c in o.countries}) | {c |
	c := input.recipients[f.recipient].country
	c != false
}) - {""}

# recipient_country(f) is the country of the flow's recipient, when it declares one.
recipient_country(f) := {c | c := input.recipients[f.recipient].country; c != false}

# foreign(f) holds when any declared or observed country of the flow is not
# Korea: PIPA protects the data of people in Korea whoever holds it (DESIGN §5.1).
# It is "all_countries(f) holds a country other than KR", asked of one source
# at a time (declared, observed, the recipient's), so that a flow is decided
# without building that set.
foreign(f) if {
	some c in f.countries
	not c in {"KR", ""}
}

foreign(f) if {
	some o in observed[f.name]
	some c in o.countries
	not c in {"KR", ""}
}

foreign(f) if {
	c := input.recipients[f.recipient].country
	c != false
	not c in {"KR", ""}
}

# necessary(f) are the items the flow's purposes need: necessaryItems when
# declared, else the purposes' defaults; a storage purpose needs every declared item.
necessary(f) := {i | some i in f.necessaryItems} if f.necessaryItems

else := {i | some i in f.items} if "storage" in f.purposes

else := purposes_need(object.get(f, "purposes", []))

# purposes_need(purposes) are the default necessary items of a list of
# purposes. A function of the list alone, so that its result is computed once
# per distinct list of purposes, not once per flow.
purposes_need(purposes) := {i |
	some p in purposes
	some i in ref.purposes[p].necessary
}

# purpose(p) is the reference entry of a purpose ({} when unknown).
purpose(p) := ref.purposes[p] if ref.purposes[p]

else := {}

# beyond_subject(f) are the flow's purposes that go beyond serving the data subject.
beyond_subject(f) := {p | some p in f.purposes; purpose(p).beyondSubject}

# Dates. ns(d) parses YYYY-MM-DD; age_days(d) is the number of days from d to input.asOf.
ns(d) := time.parse_ns("2006-01-02", d)

as_of_ns := ns(input.asOf)

age_days(d) := (as_of_ns - ns(d)) / day_ns

days_between(a, b) := (ns(b) - ns(a)) / day_ns

# within_window(day) holds when day lies in the trailing bulk window ending at asOf.
within_window(day) if {
	d := days_between(day, input.asOf)
	d >= 0
	d < input.params.bulkWindowDays
}

# is_consent_based(f) holds when any basis of the flow is consent.
is_consent_based(f) if f.legalBasis.overseas == "consent"

is_consent_based(f) if f.legalBasis.provision == "consent"

is_consent_based(f) if f.legalBasis.credit == "consent"

is_consent_based(f) if f.legalBasis.transactions == "consent"

# subject_base is the active subject base (the total when no active count is declared).
subject_base := input.organization.subjects.active if input.organization.subjects.active > 0

else := input.organization.subjects.total

# sorted(s) turns a set into a sorted array, for deterministic evidence.
sorted(s) := sort([x | some x in s])

# all_observed_items(name) is every item seen in the logs of flow name,
# taxonomy items and unknown item IDs alike.
all_observed_items(name) := observed_items(name) | {i | some o in observed[name]; some i in o.unknownItems}

# head(s) is the first evidence_list_max elements of a set or array, sorted:
# evidence that names what a privacy policy or a fleet of flows holds names
# a few and counts the rest in a field of its own, rather than copying a list
# of hundreds into every finding.
head(s) := array.slice(sorted(s), 0, evidence_list_max)

evidence_list_max := 20

# join(s) lists a set or array as sorted, comma-separated text, for messages.
join(s) := concat(", ", sort([x | some x in s]))

# thousands(n) writes a number as an integer with thousands separators
# (40450000 -> "40,450,000"), for messages.
thousands(n) := concat("", [sign_text(n), concat(",", groups)]) if {
	digits := format_int(abs(n), 10)
	l := count(digits)
	lead := ((l - 1) % 3) + 1
	rest := [substring(digits, i, 3) |
		some i in numbers.range(lead, l)
		i < l
		(i - lead) % 3 == 0
	]
	groups := array.concat([substring(digits, 0, lead)], rest)
}

sign_text(n) := "-" if n < 0

else := ""

# percent(x) writes a ratio as a whole percentage (1.618 -> "162%").
percent(x) := sprintf("%d%%", [round(x * 100)])

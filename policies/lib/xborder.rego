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
categories(item) := {c | some c in ref.items[item]}

# in_category(items, cat) is the set of items that belong to category cat.
in_category(items, cat) := {i | some i in items; cat in categories(i)}

# has_category(items, cat) holds when any item belongs to cat.
has_category(items, cat) if count(in_category(items, cat)) > 0

# identifying(items) are the identifier, contact, unique-id and rrn items.
identifying(items) := {i |
	some i in items
	some c in categories(i)
	c in ref.identifying_categories
}

# personal(items) are the items that carry personal data.
personal(items) := {i |
	some i in items
	some c in categories(i)
	c in ref.personal_categories
}

# observed[name] is the list of observations of flow name, in input order.
observed[name] := [input.observations[i] | some i in index[name]] if {
	some name, _ in input.flows
	index := observation_index
}

# observation_index maps each flow name to the positions of its observations
# in input.observations. Referenced whole, it is built in one pass over the
# observations and cached for the evaluation, so that looking up one flow does
# not scan every observation again.
observation_index[o.flow] contains i if some i, o in input.observations

# observed_items(name) is every item seen in the logs of flow name.
observed_items(name) := {i | some o in observed[name]; some i in o.items}

# observed_countries(name) is every country seen in the logs of flow name.
observed_countries(name) := {c | some o in observed[name]; some c in o.countries}

# all_countries(f) are the declared and observed countries of a flow and its recipient.
all_countries(f) := (({c | some c in f.countries} | observed_countries(f.name)) | recipient_country(f)) - {""}

recipient_country(f) := {input.recipients[f.recipient].country} if input.recipients[f.recipient].country

else := set()

# foreign(f) holds when any declared or observed country of the flow is not
# Korea: PIPA protects the data of people in Korea whoever holds it (DESIGN §5.1).
foreign(f) if {
	some c in all_countries(f)
	c != "KR"
}

# necessary(f) are the items the flow's purposes need: necessaryItems when
# declared, else the purposes' defaults; a storage purpose needs every declared item.
necessary(f) := {i | some i in f.necessaryItems} if f.necessaryItems

else := {i | some i in f.items} if "storage" in f.purposes

else := {i |
	some p in f.purposes
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

package xborder.lib

# Facts about flows and recipients that several rules judge the same way,
# so that two rules never disagree about what counts as a third party, a
# statutory basis or a separate consent.

# all_items(f) is every item of a flow, declared or seen in its logs.
all_items(f) := {i | some i in f.items} | observed_items(f.name)

# entrusted(f) holds when the flow is processing on the controller's behalf:
# entrustment, or storage with a processor (a cloud), both PIPA Art. 26.
entrusted(f) if f.type in {"entrustment", "storage"}

# entrusted_flows[r] are the names of the flows entrusted to recipient r
# (entrusted(f)), indexed once so that a rule about a recipient does not
# scan every flow. The inner comprehension closes over r with an equality,
# so OPA groups the flows by recipient in one pass (a partial object keyed
# by recipient would compare each new key with every earlier one).
entrusted_flows := {r: names |
	some r in {f.recipient | some f in input.flows; entrusted(f)}
	names := {name | some name, f in input.flows; f.recipient == r; entrusted(f)}
}

# clauses(f) is the set of clauses a flow's contract carries (empty without
# a contract). The set is made by clause_set, a function of the clause list
# alone, so that contracts written from one template share one conversion.
clauses(f) := clause_set(object.get(f, ["contract", "clauses"], []))

clause_set(list) := {c | some c in list}

# beneficiaries(r) are the parties other than the controller that receive a
# recipient's outputs.
beneficiaries(r) := {b | some b in r.beneficiaries} - {n | n := input.organization.name}

# serves_others(r) holds when a recipient uses the data for its own purposes
# or for a party other than the controller: the Supreme Court test for a
# genuine entrustment fails (legal notes 1.7).
serves_others(r) if count(r.ownPurposes) > 0

serves_others(r) if count(beneficiaries(r)) > 0

# third_party(f) holds when the recipient is a third party in substance: a
# provision, or an "entrustment" to a recipient that serves others.
third_party(f) if f.type == "provision"

third_party(f) if {
	entrusted(f)
	serves_others(input.recipients[f.recipient])
}

# statutory(f) holds when a flow rests on a statute it names: a "law" basis
# (overseas or provision) with a citation.
statutory(f) if {
	some k in ["overseas", "provision"]
	f.legalBasis[k] == "law"
	f.legalBasis.citation != ""
}

# separately_consented(f) holds when the flow relies on consent that is asked
# separately from other consents (the manifest's overseas or third-party
# separate-consent flag).
separately_consented(f) if {
	is_consent_based(f)
	f.consent.separate == true
}

separately_consented(f) if {
	is_consent_based(f)
	f.consent.separateProvision == true
}

# transfer_days(f) are the days a flow transferred: its observation days when
# logs were read, else the evaluation date.
transfer_days(f) := {o.day | some o in observed[f.name]} if count(observed[f.name]) > 0

else := {input.asOf}

# day_span(days) summarises a set of days for evidence: how many, first, last.
day_span(days) := {"days": count(s), "first": s[0], "last": s[count(s) - 1]} if {
	s := sorted(days)
	count(s) > 0
}

# missing_notice(notice, required) are the required notice items a consent
# notice lacks. "purpose_retention" (28-8(2)4) and the pair "purpose" and
# "retention" (17(2)2 and 17(2)4) cover each other.
missing_notice(notice, required) := {r | some r in required; not notice_covers(notice, r)}

notice_covers(notice, item) if item in notice

notice_covers(notice, "purpose_retention") if {
	"purpose" in notice
	"retention" in notice
}

notice_covers(notice, item) if {
	item in {"purpose", "retention"}
	"purpose_retention" in notice
}

# agent_gaps(holder) are the domestic-agent details (Art. 31-2(3)) an
# organization or recipient does not give.
agent_gaps(holder) := {k | some k in ["name", "address", "phone", "email"]; not agent_detail(holder, k)}

agent_detail(holder, k) if holder.domesticAgent[k] != ""

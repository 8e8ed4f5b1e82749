package policies

import (
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// ownRules are the rules this package's golden test pins; the rest of the
// pack has its own Rego tests and would churn the golden file.
var ownRules = map[string]bool{
	"PIPA-28-8-BASIS":                   true,
	"PIPA-28-8-CONTRACT-BASIS-MISUSE":   true,
	"PIPA-26-ENTRUSTMENT-MISCLASSIFIED": true,
	"XB-BULK-DAILY":                     true,
	"XB-SHADOW-FLOW":                    true,
	"XB-ITEMS-UNDECLARED":               true,
	"PIPA-3-16-MINIMIZATION":            true,
	"PIPA-29-WEAK-PSEUDONYMIZATION":     true,
	"XB-DATA-QUALITY":                   true,
}

const manifestFile = "manifests/kakaopay.yaml"

// src is a location in the scenario's manifest, moved down by shift lines
// (to show that fingerprints do not depend on line numbers).
func src(shift, line, col int) audit.Source {
	return audit.Source{File: manifestFile, Line: line + shift, Col: col}
}

// kakaoPay builds the Kakao Pay → Alipay case of DESIGN §1 as the collectors
// would: manifests with field locations, 30 days of observations of the daily
// full-base export (2024-04-22 to 2024-05-21), an overseas-payment flow carrying account IDs, a shadow
// tracker and two unusable log lines.
func kakaoPay(shift int) *audit.Input {
	obj := func(name string, line int, fields map[string][2]int) audit.Object {
		o := audit.Object{Name: name, Source: src(shift, line, 1), Fields: audit.Fields{}}
		for f, lc := range fields {
			o.Fields[f] = src(shift, lc[0], lc[1])
		}
		return o
	}
	in := &audit.Input{
		Mode: audit.ModeAudit,
		AsOf: "2024-05-21",
		Organization: &audit.Organization{
			Object:   obj("kakaopay", 1, map[string][2]int{"spec.subjects": {8, 3}}),
			Country:  "KR",
			Subjects: audit.Subjects{Total: 40450000, Active: 25000000},
		},
		Recipients: map[string]audit.Recipient{
			"alipay": {
				Object:        obj("alipay", 20, map[string][2]int{"spec.ownPurposes": {26, 3}}),
				LegalName:     "Alipay Singapore E-Commerce Pte. Ltd.",
				Country:       "SG",
				OwnPurposes:   []string{"nsf_scoring"},
				Beneficiaries: []string{"apple"},
			},
			"alipay-pay": {Object: obj("alipay-pay", 30, nil), LegalName: "Alipay.com Co., Ltd.", Country: "CN"},
			"aws-tokyo":  {Object: obj("aws-tokyo", 36, nil), LegalName: "AWS Japan", Country: "JP"},
			"kr-pg":      {Object: obj("kr-pg", 42, nil), LegalName: "KR PG Inc.", Country: "KR"},
		},
		Flows: map[string]audit.DataFlow{
			"alipay-nsf": {
				Object: obj("alipay-nsf", 50, map[string][2]int{
					"spec.type":                          {55, 9},
					"spec.items":                         {57, 10},
					"spec.items[0]":                      {57, 11},
					"spec.legalBasis":                    {60, 3},
					"spec.legalBasis.overseas":           {61, 15},
					"spec.safeguards.identifiers":        {66, 5},
					"spec.safeguards.identifiers.method": {66, 19},
				}),
				Recipient: "alipay", Integration: "alipay-plus", Countries: []string{"CN", "SG"},
				Type: audit.TypeEntrustment, Purposes: []string{"fraud_prevention"},
				Items:      []string{"account_id", "phone", "email", "balance", "payment_history"},
				Subjects:   "all_users",
				Schedule:   "daily",
				LegalBasis: audit.LegalBasis{Overseas: "contract"},
				Safeguards: audit.Safeguards{Identifiers: &audit.Identifiers{Method: "sha256", KeyHolder: "controller"}, Pseudonymized: true},
			},
			"alipay-overseas-payment": {
				Object: obj("alipay-overseas-payment", 70, map[string][2]int{
					"spec.items":               {75, 10},
					"spec.items[0]":            {75, 11},
					"spec.items[1]":            {75, 23},
					"spec.legalBasis.overseas": {78, 15},
				}),
				Recipient: "alipay-pay", Integration: "alipay-payment", Countries: []string{"CN"},
				Type: audit.TypeEntrustment, Purposes: []string{"settlement"},
				Items:      []string{"account_id", "order_id", "amount", "currency", "transaction_time", "payment_method"},
				LegalBasis: audit.LegalBasis{Overseas: "contract"},
				Safeguards: audit.Safeguards{Identifiers: &audit.Identifiers{Method: "token", KeyHolder: "controller"}},
			},
			"aws-backup": {
				Object:    obj("aws-backup", 90, map[string][2]int{"spec.legalBasis": {97, 3}}),
				Recipient: "aws-tokyo", Integration: "s3-backup", Countries: []string{"JP"},
				Type: audit.TypeStorage, Purposes: []string{"storage"}, Items: []string{"account_id", "balance"},
			},
			"kr-pg": {
				Object:    obj("kr-pg", 110, nil),
				Recipient: "kr-pg", Integration: "kr-pg", Countries: []string{"KR"},
				Type: audit.TypeEntrustment, Purposes: []string{"payment_processing"},
				Items: []string{"order_id", "amount", "card_number"},
			},
		},
		Observations: []audit.Observation{},
		Unmatched:    []audit.Unmatched{},
		DataQuality: audit.DataQuality{
			Lines: 90000, Bad: 2, UnmatchedLines: 40,
			Files: []audit.FileQuality{
				{Path: "logs/2024-05-20.jsonl", Lines: 45000, Records: 45000},
				{Path: "logs/2024-05-21.jsonl", Lines: 45000, Records: 44998, Bad: 2, Examples: []audit.BadLine{
					{Line: 311, Reason: "missing ts"},
					{Line: 4012, Reason: "invalid JSON: unexpected end of input"},
				}},
			},
		},
	}
	first := time.Date(2024, 4, 22, 0, 0, 0, 0, time.UTC)
	for d := range 30 {
		day := first.AddDate(0, 0, d).Format(audit.DateLayout)
		in.Observations = append(in.Observations,
			audit.Observation{
				Flow: "alipay-nsf", Day: day, Records: 40450000, Subjects: 40450000,
				Items: []string{"account_id", "balance", "email", "payment_history", "phone"}, UnknownItems: []string{},
				Countries: []string{"SG"}, Hosts: []string{"api.alipay.example"}, Protections: []string{"sha256"}, TLS: []string{"sftp"},
			},
			audit.Observation{
				Flow: "alipay-overseas-payment", Day: day, Records: 300000, Subjects: 250000, SubjectsEstimated: true,
				Items: []string{"account_id", "amount", "currency", "order_id"}, UnknownItems: []string{"kakao_uuid"},
				Countries: []string{"CN"}, Hosts: []string{"pay.alipay.example"}, Protections: []string{"token"}, TLS: []string{"1.3"},
			},
		)
	}
	for _, day := range []string{"2024-05-19", "2024-05-20"} {
		in.Unmatched = append(in.Unmatched,
			audit.Unmatched{
				Key: "collect.tracker.example", Host: "collect.tracker.example", Country: "US", Day: day,
				Records: 1200, Subjects: 1100, Items: []string{"email", "device_id"}, UnknownItems: []string{}, Bytes: 64000,
			},
			audit.Unmatched{
				Key: "cdn.kr.example", Host: "cdn.kr.example", Country: "KR", Day: day,
				Records: 10, Subjects: 10, Items: []string{"ip_address"}, UnknownItems: []string{},
			},
		)
	}
	return in
}

package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// digest is a stand-in content digest, stable across machines.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

const testDocsURL = "https://github.com/xborder/xborder/blob/main/docs/rules.md"

// testRules is the part of the catalogue the test run cites.
func testRules() []audit.Rule {
	return []audit.Rule{
		{
			ID: "PIPA-26-ENTRUSTMENT-MISCLASSIFIED", Severity: audit.SeverityCritical, Builtin: true,
			Title:         "Entrustment that is really a provision",
			TitleKO:       "제공을 위탁으로 잘못 분류",
			Articles:      []string{"PIPA 26", "PIPA 17(1)"},
			Remediation:   "Reclassify the flow as a provision and obtain a provision basis, or stop the recipient's own use of the data.",
			RemediationKO: "이전을 제3자 제공으로 재분류하고 제공 근거를 갖추거나, 수탁자의 자체 목적 이용을 중단하십시오.",
		},
		{
			ID: "XB-BULK-DAILY", Severity: audit.SeverityCritical, Builtin: true,
			Title:         "Bulk daily transfer of the subject base",
			TitleKO:       "정보주체 전체의 일일 대량 이전",
			Articles:      []string{"PIPA 28-8(1)", "PIPA 3"},
			Remediation:   "Send only the subjects the purpose needs; move from a daily full export to per-transaction transfers.",
			RemediationKO: "목적에 필요한 정보주체만 전송하고, 일일 전체 추출을 거래 단위 전송으로 바꾸십시오.",
		},
		{
			ID: "PIPA-29-WEAK-PSEUDONYMIZATION", Severity: audit.SeverityHigh, Builtin: true,
			Title:         "Identifiers protected by unkeyed hashing",
			TitleKO:       "키 없는 해시로 보호된 식별자",
			Articles:      []string{"PIPA 29", "PIPA 28-2"},
			Remediation:   "Replace plain hashes with a keyed HMAC or tokens whose key stays with the controller.",
			RemediationKO: "단순 해시를 처리자가 키를 보유하는 HMAC 또는 토큰으로 교체하십시오.",
		},
		{
			ID: "PIPA-28-8-CONTRACT-DISCLOSURE", Severity: audit.SeverityHigh, Builtin: true,
			Title:         "Contract-basis transfer not disclosed",
			TitleKO:       "계약이행 국외이전 미공개",
			Articles:      []string{"PIPA 28-8(1)3"},
			Remediation:   "List the flow in the privacy policy's overseas-transfer section or notify subjects individually.",
			RemediationKO: "개인정보 처리방침의 국외이전 항목에 기재하거나 정보주체에게 개별 통지하십시오.",
		},
		{
			ID: "XB-DATA-QUALITY", Severity: audit.SeverityMedium, Builtin: true,
			Title:         "Malformed or unmatched log lines",
			TitleKO:       "형식 오류 또는 미매칭 로그",
			Remediation:   "Fix the exporter that wrote the bad lines and re-run the audit over the corrected files.",
			RemediationKO: "불량 줄을 기록한 내보내기 도구를 수정하고 수정된 파일로 다시 감사하십시오.",
		},
		{
			ID: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow, Builtin: true,
			Title:         "Manifest hygiene",
			TitleKO:       "매니페스트 관리 상태",
			Remediation:   "Name an owning team and review the manifest.",
			RemediationKO: "담당 팀을 지정하고 매니페스트를 검토하십시오.",
		},
	}
}

// testRun is a realistic audit run: the Kakao Pay → Alipay pattern plus a
// storage flow, six findings of every severity (one waived, one baselined),
// two days of observations for two flows, shadow traffic and a log file
// with bad lines. Numbers are the JSON-decoded shapes Rego returns
// (float64, []any, map[string]any).
func testRun() *audit.Run {
	alipay := audit.Source{File: "manifests/alipay.yaml", Line: 21}
	aws := audit.Source{File: "manifests/aws.yaml", Line: 14}
	return &audit.Run{
		ID:       "20240302T010000Z-3f9a",
		Mode:     audit.ModeAudit,
		AsOf:     "2024-03-02",
		Started:  time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC),
		Finished: time.Date(2024, 3, 2, 1, 0, 7, 250_000_000, time.UTC),
		Tool:     audit.Tool{Name: "xborder", Version: "0.1.0"},
		Inputs: []audit.InputFile{
			{Path: "manifests/alipay.yaml", SHA256: digest("alipay.yaml"), Kind: "manifest", Size: 2311},
			{Path: "manifests/aws.yaml", SHA256: digest("aws.yaml"), Kind: "manifest", Size: 1187},
			{Path: "manifests/org.yaml", SHA256: digest("org.yaml"), Kind: "manifest", Size: 604},
			{Path: "logs/2024-03-01.jsonl", SHA256: digest("2024-03-01.jsonl"), Kind: "log", Size: 1_048_576},
			{Path: "logs/2024-03-02.jsonl", SHA256: digest("2024-03-02.jsonl"), Kind: "log", Size: 998_401},
		},
		PolicyDigest: "sha256:" + digest("policies"),
		Records:      80_901_804, // every good record, the 12 unmatched included
		SkippedFiles: []audit.InputFile{{Path: "logs/2024-02-29.jsonl", SHA256: digest("2024-02-29.jsonl"), Kind: "log"}},
		Hash:         digest("run"),
		PrevHash:     digest("previous run"),
		NotEvaluated: []string{"PIPA-17-CONSENT-AT-TRANSFER"},
		Findings: []audit.Finding{
			{
				ID: "4c1d2e3f5a6b7c8d", Rule: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow,
				Title: "Manifest hygiene", Flow: "aws-tokyo-storage",
				Message:  `flow "aws-tokyo-storage" has no owner`,
				Evidence: map[string]any{"missing": []any{"owner"}},
				Location: audit.Source{File: "manifests/aws.yaml", Line: 3}, Baselined: true, Status: audit.StatusRecurring,
			},
			{
				ID: "9f8e7d6c5b4a3921", Rule: "PIPA-26-ENTRUSTMENT-MISCLASSIFIED", Severity: audit.SeverityCritical,
				Title: "Entrustment that is really a provision", Articles: []string{"PIPA 26", "PIPA 17(1)"}, Flow: "alipay-nsf",
				Message: `flow "alipay-nsf" is declared as entrustment, but Alipay Singapore E-Commerce Pte. Ltd. uses the data for nsf_scoring and passes results to apple`,
				Evidence: map[string]any{
					"type": "entrustment", "ownPurposes": []any{"nsf_scoring"}, "beneficiaries": []any{"apple"},
				},
				Location: alipay, Status: audit.StatusNew,
			},
			{
				ID: "1a2b3c4d5e6f7081", Rule: "XB-BULK-DAILY", Severity: audit.SeverityCritical,
				Title: "Bulk daily transfer of the subject base", Articles: []string{"PIPA 28-8(1)", "PIPA 3"}, Flow: "alipay-nsf",
				Message: "40,450,000 subjects (100% of the subject base) sent abroad on 2 of the last 30 days",
				Evidence: map[string]any{
					"days": float64(2), "window": float64(30), "maxSubjects": float64(40_450_000), "share": 1.0,
					"threshold": map[string]any{"share": 0.5, "absolute": float64(1_000_000), "days": float64(3)},
				},
				Location: alipay, Status: audit.StatusNew,
			},
			{
				ID: "2b3c4d5e6f708192", Rule: "PIPA-29-WEAK-PSEUDONYMIZATION", Severity: audit.SeverityHigh,
				Title: "Identifiers protected by unkeyed hashing", Articles: []string{"PIPA 29", "PIPA 28-2"}, Flow: "alipay-nsf",
				Message: "account_id, email and phone leave hashed with unsalted, unkeyed sha256",
				Evidence: map[string]any{
					"method": "sha256", "keyed": false, "salted": false, "items": []any{"account_id", "email", "phone"},
					"observed": true,
				},
				Location: audit.Source{File: "manifests/alipay.yaml", Line: 40}, Status: audit.StatusRecurring,
			},
			{
				ID: "3c4d5e6f708192a3", Rule: "PIPA-28-8-CONTRACT-DISCLOSURE", Severity: audit.SeverityHigh,
				Title: "Contract-basis transfer not disclosed", Articles: []string{"PIPA 28-8(1)3"}, Flow: "aws-tokyo-storage",
				Message:  `flow "aws-tokyo-storage" relies on contract but is not in the privacy policy's overseas-transfer section`,
				Evidence: map[string]any{"basis": "contract", "disclosed": false, "individualNotice": false},
				Location: aws,
				Waived: &audit.Waiver{
					Rule: "PIPA-28-8-CONTRACT-DISCLOSURE", Flow: "aws-tokyo-storage", Owner: "privacy-office",
					Reason: "policy revision with the AWS Tokyo entry ships on 2024-04-01", Expires: "2024-04-30",
					Source: audit.Source{File: "xborder-waivers.yaml", Line: 4},
				},
				Status: audit.StatusRecurring,
			},
			{
				ID: "5e6f708192a3b4c5", Rule: "XB-DATA-QUALITY", Severity: audit.SeverityMedium,
				Title:   "Malformed or unmatched log lines",
				Message: "3 of 2,004 log lines could not be read and 12 matched no flow",
				Evidence: map[string]any{
					"bad": float64(3), "lines": float64(2004), "unmatched": float64(12), "ratio": 0.0015,
					"files": []any{map[string]any{"path": "logs/2024-03-01.jsonl", "bad": float64(3)}},
				},
				Location: audit.Source{File: "logs/2024-03-01.jsonl"}, Status: audit.StatusNew,
			},
		},
		Manifests: &audit.Manifests{
			Organization: &audit.Organization{
				Object:     audit.Object{Name: "examplepay", Source: audit.Source{File: "manifests/org.yaml", Line: 1}},
				LegalName:  "ExamplePay Corp.",
				Country:    "KR",
				Subjects:   audit.Subjects{Total: 40_450_000, Active: 25_000_000},
				RevenueKRW: 750_000_000_000,
			},
			Recipients: []audit.Recipient{
				{Object: audit.Object{Name: "alipay"}, LegalName: "Alipay Singapore E-Commerce Pte. Ltd.", Country: "SG"},
				{Object: audit.Object{Name: "aws-tokyo"}, LegalName: "Amazon Web Services Japan G.K.", Country: "JP"},
			},
			Flows: []audit.DataFlow{
				{
					Object: audit.Object{Name: "alipay-nsf", Source: audit.Source{File: "manifests/alipay.yaml", Line: 12}},
					Owner:  "payments-platform", Recipient: "alipay", Integration: "alipay-plus",
					Countries: []string{"CN", "SG"}, Type: audit.TypeEntrustment, Purposes: []string{"fraud_prevention"},
					Items:      []string{"account_id", "phone", "email", "balance", "payment_history"},
					Schedule:   "daily",
					LegalBasis: audit.LegalBasis{Overseas: "contract", Provision: "none", Credit: "none", Transactions: "none"},
				},
				{
					Object:    audit.Object{Name: "aws-tokyo-storage", Source: audit.Source{File: "manifests/aws.yaml", Line: 5}},
					Recipient: "aws-tokyo", Integration: "aws-s3-apne1",
					Countries: []string{"JP"}, Type: audit.TypeStorage, Purposes: []string{"storage"},
					Items:      []string{"customer_id", "order_id", "amount"},
					Schedule:   "realtime",
					LegalBasis: audit.LegalBasis{Overseas: "contract"},
				},
			},
		},
		Observations: []audit.Observation{
			{Flow: "alipay-nsf", Day: "2024-03-02", Records: 40_450_000, Subjects: 40_450_000,
				Items: []string{"account_id", "balance", "email", "phone"}, Countries: []string{"CN"}},
			{Flow: "aws-tokyo-storage", Day: "2024-03-01", Records: 600, Subjects: 412, SubjectsEstimated: true,
				Items: []string{"amount", "customer_id", "order_id"}, Countries: []string{"JP"}},
			{Flow: "alipay-nsf", Day: "2024-03-01", Records: 40_450_600, Subjects: 40_450_000,
				Items: []string{"account_id", "balance", "email", "phone"}, Countries: []string{"CN", "SG"}},
			{Flow: "aws-tokyo-storage", Day: "2024-03-02", Records: 592, Subjects: 398, SubjectsEstimated: true,
				Items: []string{"amount", "customer_id", "order_id"}, Countries: []string{"JP"}},
		},
		Unmatched: []audit.Unmatched{
			{Key: "api.analytics.example", Host: "api.analytics.example", Country: "US", Day: "2024-03-01",
				Records: 12, Subjects: 12, Items: []string{"device_id", "ip_address"}},
		},
		DataQuality: audit.DataQuality{
			Files: []audit.FileQuality{
				{Path: "logs/2024-03-02.jsonl", Lines: 800, Records: 40_450_592},
				{Path: "logs/2024-03-01.jsonl", Lines: 1204, Records: 40_451_212, Bad: 3, Examples: []audit.BadLine{
					{Line: 17, Reason: "invalid JSON: unexpected end of input"},
					{Line: 230, Reason: "missing ts"},
					{Line: 999, Reason: "missing items"},
				}},
			},
			Lines: 2004, Bad: 3, UnmatchedLines: 12,
		},
	}
}

// withMetadata joins the catalogue into the findings the way the policy
// engine does, except the Korean texts of XB-DATA-QUALITY (a finding made
// in Go), which the view must take from the catalogue.
func withMetadata(run *audit.Run, rules []audit.Rule) *audit.Run {
	for i := range run.Findings {
		f := &run.Findings[i]
		for _, r := range rules {
			if r.ID != f.Rule {
				continue
			}
			f.Remediation = r.Remediation
			if f.Rule != "XB-DATA-QUALITY" {
				f.TitleKO, f.RemediationKO = r.TitleKO, r.RemediationKO
			}
		}
	}
	return run
}

func testReport(lang string) *Report {
	return &Report{
		Run:     withMetadata(testRun(), testRules()),
		Rules:   testRules(),
		Lang:    lang,
		FailOn:  audit.SeverityHigh,
		DocsURL: testDocsURL,
	}
}

package collectors

import (
	"fmt"
	"strconv"
	"strings"
)

// Day lengths of the ISO 8601 duration designators manifests use. A
// retention period is a legal promise, not a calendar computation, so a
// year is 365 days and a month 30: "P1Y" and "P12M" differ by 5 days, which
// no rule is sensitive to, and the result never depends on a start date.
const (
	mfDaysPerYear  = 365
	mfDaysPerMonth = 30
	mfDaysPerWeek  = 7
)

// mfMaxDurationDays bounds a duration (about 1,000 years) so that the day
// count never overflows and an absurd value reads as a typo.
const mfMaxDurationDays = 365_000

// mfDurationDays converts an ISO 8601 duration of whole years, months,
// weeks and days ("P1Y", "P6M", "P30D", "P2Y6M", "P1W") to days. Time
// components ("PT12H") and fractions are refused: retention is declared in
// days or longer.
func mfDurationDays(s string) (int, error) {
	want := `want an ISO 8601 duration such as "P1Y", "P6M", "P30D", "P2Y6M" or "P1W"`
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, fmt.Errorf("invalid duration %q (%s)", s, want)
	}
	if strings.Contains(rest, "T") {
		return 0, fmt.Errorf("invalid duration %q: time components are not supported, use days (%s)", s, want)
	}
	days := 0
	order := "YMWD"
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || i > 6 {
			return 0, fmt.Errorf("invalid duration %q (%s)", s, want)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (%s)", s, want)
		}
		unit := rest[i]
		if !strings.ContainsRune("YMWD", rune(unit)) {
			return 0, fmt.Errorf("invalid duration %q: unknown designator %q (%s)", s, string(unit), want)
		}
		pos := strings.IndexByte(order, unit)
		if pos < 0 {
			return 0, fmt.Errorf("invalid duration %q: designators must appear once each, in the order Y, M, W, D", s)
		}
		order = order[pos+1:] // each designator at most once, in Y M W D order
		switch unit {
		case 'Y':
			days += n * mfDaysPerYear
		case 'M':
			days += n * mfDaysPerMonth
		case 'W':
			days += n * mfDaysPerWeek
		case 'D':
			days += n
		}
		rest = rest[i+1:]
	}
	if days > mfMaxDurationDays {
		return 0, fmt.Errorf("duration %q is longer than %d days", s, mfMaxDurationDays)
	}
	return days, nil
}

# METADATA
# title: Log lines that could not be used
# description: |
#   An audit is only as good as the logs it reads. A log line that cannot be
#   parsed, or lacks ts or items, is never dropped silently, and neither is
#   traffic that matches no declared flow: this rule reports the bad lines per
#   file with the first examples, and the number of unmatched lines, so that the
#   gap in the evidence is visible in the run. It points at the first bad line.
#   The finding is a gap in the evidence, not by itself a violation; it cites
#   Art. 29 because the safety measures include keeping records of processing
#   (the exact provision of the Safety-Measures Notice is to be confirmed).
# custom:
#   id: XB-DATA-QUALITY
#   severity: medium
#   articles: ["PIPA 29"]
#   title_ko: 사용할 수 없는 전송 로그
#   remediation: >-
#     Fix the exporter or the log mapping that produced the bad lines, and declare
#     or stop the traffic that matches no flow, so that every transfer is
#     accounted for in the next run.
#   remediation_ko: >-
#     잘못된 줄을 만든 로그 내보내기 또는 매핑을 고치고, 어느 흐름에도 맞지 않는 전송은 신고하거나
#     중단하여 다음 실행에서 모든 전송이 집계되게 하십시오.
#   needs: [observations]
package xborder.rules.xb_data_quality

import data.xborder.lib

q := input.dataQuality

deny contains finding if {
	object.get(q, "bad", 0) + object.get(q, "unmatchedLines", 0) > 0
	files := [file |
		some path in sort({f.path | some f in q.files; f.bad > 0})
		some f in q.files
		f.path == path
		file := {"path": path, "lines": f.lines, "bad": f.bad, "examples": object.get(f, "examples", [])}
	]
	finding := object.union(
		{
			"message": sprintf("%s%s", [bad_text(files), unmatched_text]),
			"evidence": {
				"lines": object.get(q, "lines", 0),
				"badLines": object.get(q, "bad", 0),
				"badRatio": ratio,
				"unmatchedLines": object.get(q, "unmatchedLines", 0),
				"files": files,
			},
		},
		location(files),
	)
}

ratio := round((q.bad / q.lines) * 10000) / 10000 if q.lines > 0

else := 0

# location points at the first example of the first bad file, when there is one.
location(files) := {"location": {"file": files[0].path, "line": files[0].examples[0].line}} if count(files) > 0

else := {"location": {"file": files[0].path}} if count(files) > 0

else := {}

bad_text(files) := sprintf("%s of %s log lines could not be used%s", [lib.thousands(q.bad), lib.thousands(q.lines), file_list(files)]) if q.bad > 0

else := ""

file_list(files) := sprintf(" (%s)", [concat("; ", [file_text(f) | some f in files])]) if count(files) > 0

else := ""

file_text(f) := sprintf("%s: %s, first at line %d: %s", [f.path, lib.thousands(f.bad), f.examples[0].line, f.examples[0].reason]) if count(f.examples) > 0

else := sprintf("%s: %s", [f.path, lib.thousands(f.bad)])

unmatched_text := sprintf("%s%s log lines matched no declared flow", [sep, lib.thousands(q.unmatchedLines)]) if q.unmatchedLines > 0

else := ""

sep := "; " if object.get(q, "bad", 0) > 0

else := ""

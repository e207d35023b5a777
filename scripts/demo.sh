#!/bin/sh
# make demo: a whole FOI round, end to end, against a private mail sandbox.
# foid sends one request to each of the 155 bodies of the 2016 round; the
# councils (scripts/demo-councils.py) read what they received and answer
# as real councils do: acknowledgements with their own references,
# out-of-office replies, bounces, clarification requests (answered with
# foictl clarify), extensions, refusals, responses, some late, some never.
# Weeks pass in seconds: foid and foictl run under libfaketime.  foid does
# the rest by itself: matching, classification, deadlines, chasers, the
# team's digest.  Ends with foictl status, the HTML report and a CSV, and
# the round's figures as the seeds published them (155 asked, 114 on time,
# 36 involved), read back from foid: the demo fails when foid concludes
# anything other than what the councils' script meant.
# Everything lives in demo-out/, made afresh on each run, except the
# sandbox's mail: Dovecot's mail user must reach it, which it cannot inside
# a home directory of mode 0700 (or /root), so the sandbox lives in a fresh
# directory under /tmp (demo-out/sandbox points there), removed at the end;
# its logs are copied to demo-out/sandbox-log.
# Every step checks what it depends on and fails with one line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
name=demo
. "$top/scripts/demo-lib.sh"
# The bodies, as the councils' script reads them: short_name, email, name,
# region, tags (tab-separated), in short-name order.
bodies() {
	ctl bodies list --json | python3 -c 'import json,sys
for b in sorted(json.load(sys.stdin), key=lambda b: b["short_name"]):
    print("\t".join([b["short_name"], b["email"], b["name"], b["region"] or "", ";".join(b["tags"])]))'
}
councils() {
	bodies >"$out/bodies.tsv" || fail "foictl bodies list failed"
	python3 "$top/scripts/demo-councils.py" "$sandbox/sandbox.env" "$1" <"$out/bodies.tsv" ||
		fail "the councils' script failed in phase $1 (the reason is above)"
}

when="2016-07-04 09:00"
echo "== Monday 4 July 2016: import 155 bodies, create and launch the round"
"$build/foid" -n -c "$out/foid.conf"
ctl bodies import "$top/data/bodies-england-2016.csv"
ctl round create stp16 --kind foi --template foi-request.txt \
	--title "Sustainability and transformation plans"
ctl question stp16 involved --choices "yes|no|unclear"
ctl round launch stp16
foid "2016-07-04 10:00"
wait_mail research@uni.test 155
echo "sent: $(grep -c 'event=send.ok' "$out/foid.log") requests, each with the server's proof"

for step in "2:2016-07-06 11:00" "3:2016-07-07 12:00" "12:2016-07-18 10:00" \
	"20:2016-07-28 15:00" "26:2016-08-02 16:00" "-:2016-08-05 10:00" \
	"32:2016-08-09 11:00" "40:2016-08-17 11:00" "-:2016-09-01 10:00" \
	"50:2016-09-07 11:00"; do
	phase=${step%%:*}
	day=${step#*:}
	echo "== $day"
	[ "$phase" != - ] && councils "$phase"
	foid "$day"
	if [ "$phase" = 3 ]; then
		when="$day"
		for b in $(ctl status stp16 --json | python3 -c 'import json,sys
for r in json.load(sys.stdin)["requests"]:
    if r["status"] == "clarification": print(r["short_name"])'); do
			printf 'The financial years 2013/14 to 2015/16, please.\n' >"$out/answer.txt"
			ctl clarify stp16 "$b" --file "$out/answer.txt" >/dev/null
		done
		foid "$day"
		echo "clarification requests answered; the clock restarts today for those bodies"
	fi
	echo "$(grep -c 'event=remind.queued' "$out/foid.log" || true) chasers queued so far"
done

when="2016-09-08 09:00"
echo "== the team reads each response: did the council say it took part in the leadership talks?"
# What foid stored of each response, read as a person would: yes for "took
# part", no for "did not take part", unclear otherwise.
ctl status stp16 --json >"$out/status.json"
python3 - "$out/status.json" "$out/foid.db" >"$out/coding.txt" <<'PY' || fail "reading the responses failed"
import json, sqlite3, sys
done = {r["short_name"] for r in json.load(open(sys.argv[1]))["requests"] if r["status"] == "responded"}
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
text = {}
for short, body in db.execute(
        "SELECT b.short_name, m.body_text FROM messages m JOIN requests q ON q.id = m.request_id"
        " JOIN bodies b ON b.id = q.body_id WHERE m.direction = 'in' AND m.kind = 'response'"
        " ORDER BY m.internaldate"):
    text.setdefault(short, body or "")
for short in sorted(done):
    t = text.get(short, "")
    print(short, "no" if "did not take part" in t else "yes" if "took part" in t else "unclear")
PY
while read -r b v; do
	ctl code stp16 "$b" "involved=$v" >/dev/null || fail "foictl code $b involved=$v failed"
done <"$out/coding.txt"
echo "$(wc -l <"$out/coding.txt") responses coded"
echo
echo "== foictl status stp16 (8 September 2016)"
ctl status stp16 >"$out/status.txt"
head -n 40 "$out/status.txt"
echo "... (all of it in demo-out/status.txt)"
ctl report stp16 --html "$out/report.html"
ctl export stp16 --output "$out/stp16.csv"
ctl status stp16 --json >"$out/status.json"
# Did foid conclude what the councils meant?  foid's own figures, from
# foictl status --json, the export and the bodies' tags, against the plan
# the councils' script played.
python3 "$top/scripts/demo-councils.py" --expect "$out/expected.json" <"$out/bodies.tsv" ||
	fail "the councils' script could not write its plan"
python3 - "$out/expected.json" "$out/status.json" "$out/stp16.csv" "$out/bodies.tsv" <<'PY'
import csv, json, sys
want = json.load(open(sys.argv[1]))
status = json.load(open(sys.argv[2]))
export = {r["short_name"]: r for r in csv.DictReader(open(sys.argv[3], newline=""))}
tags = {l.split("\t")[0]: l.rstrip("\n").split("\t")[4].split(";") for l in open(sys.argv[4])}
differ = []
for r in status["requests"]:
    w = want["bodies"].get(r["short_name"])
    e = export.get(r["short_name"], {})
    got = (r["status"], r["on_time"], e.get("involved") or None)
    if w is None or got != (w["status"], w["on_time"], w["involved"]):
        differ.append("%s: foid says %s, the councils meant %s" % (
            r["short_name"], got, w and (w["status"], w["on_time"], w["involved"])))
t = status["totals"]
on_time = [s for s, e in export.items() if e["on_time"] == "true"]
involved = [s for s in on_time if export[s].get("involved") == "yes"]
print("of %d councils, %d answered on time and %d late; %d refused; %d never answered; %d bounced"
      % (t["bodies"], t["on_time"], t["late"], t["refused"], t["overdue"], t["bounced"]))
print("%d asked, %d on time, %d involved" % (t["bodies"], t["on_time"], len(involved)))
gm = sorted(s for s, v in tags.items() if "greater-manchester" in v)
late = [s for s in gm if export.get(s, {}).get("on_time") != "true"]
print("Greater Manchester: %d of %d councils on time; not on time: %s"
      % (len(gm) - len(late), len(gm), ", ".join(late) or "none"))
def share(rows):
    rows = list(rows)
    return sum(export[s].get("involved") == "yes" for s in rows), len(rows)
ly, ln = share(s for s in on_time if export[s]["region"] == "London")
oy, on = share(s for s in on_time if export[s]["region"] != "London")
print("involved, of those on time: London %d of %d (%.0f%%), elsewhere %d of %d (%.0f%%)"
      % (ly, ln, 100.0 * ly / max(ln, 1), oy, on, 100.0 * oy / max(on, 1)))
if len(export) != len(status["requests"]):
    differ.append("the export has %d rows, status %d requests" % (len(export), len(status["requests"])))
if (t["bodies"], t["on_time"], len(involved)) != (want["asked"], want["on_time"], want["involved"]):
    differ.append("the figures are not the councils' %d asked, %d on time, %d involved"
                  % (want["asked"], want["on_time"], want["involved"]))
for d in differ:
    print("differs:", d)
n = len(status["requests"])
print("foid's conclusions agree with the councils' script for %d of %d bodies%s"
      % (n - sum(": foid says" in d for d in differ), n, "; they DIFFER on %d points above" % len(differ) if differ else ""))
sys.exit(1 if differ else 0)
PY
echo "report: $out/report.html   export: $out/stp16.csv   log: $out/foid.log"

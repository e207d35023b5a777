#!/bin/sh
# make demo-survey: a whole survey round, end to end, against a private mail
# sandbox.  foid asks the 155 bodies of the 2016 round three questions
# (declared once with foictl question, rendered into the invitation); the
# councils (scripts/demo-survey-councils.py) answer in every style people
# write in: clean "1: yes" lines, other numbering, units, number words,
# comments, answers under the quoted questions, prose, a skipped question,
# silence, a reply after the courtesy reminder.  Weeks pass in seconds
# under libfaketime.  foid reads the answers, follows up the one question
# a council skipped, reminds only the silent, and the team confirms what
# foid read from prose.  Ends with the response rate and the tallies of
# foictl status, the HTML report and a CSV, checked against what the
# councils' script meant: the demo fails when foid concludes otherwise.
# Conventions as make demo (scripts/demo-lib.sh): everything in
# demo-survey-out/, the sandbox under /tmp, one line per failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
name=demo-survey
. "$top/scripts/demo-lib.sh"
councils_py=$top/scripts/demo-survey-councils.py
# The bodies as the councils' script reads them: short_name, email,
# reference (tab-separated), in short-name order.
bodies() {
	ctl status srv16 --json | python3 -c 'import json,sys
for r in sorted(json.load(sys.stdin)["requests"], key=lambda r: r["short_name"]):
    print("\t".join([r["short_name"], r["email"], r["reference"]]))'
}
councils() {
	bodies >"$out/bodies.tsv" || fail "foictl status srv16 --json failed"
	python3 "$councils_py" "$sandbox/sandbox.env" "$1" <"$out/bodies.tsv" ||
		fail "the councils' script failed in phase $1 (the reason is above)"
}

when="2016-07-04 09:00"
echo "== Monday 4 July 2016: import 155 bodies, define the questions, launch the survey"
"$build/foid" -n -c "$out/foid.conf"
ctl bodies import "$top/data/bodies-england-2016.csv"
ctl round create srv16 --kind survey --template survey-invitation.txt \
	--title "Waste collection" --closes 2016-07-29
python3 "$councils_py" --questions >"$out/questions.tsv" || fail "no questions from the councils' script"
while IFS="$(printf '\t')" read -r key type choices unit wording; do
	if [ "$type" = choice ]; then
		ctl question srv16 "$key" --choices "$choices" --wording "$wording"
	else
		ctl question srv16 "$key" --number --unit "$unit" --wording "$wording"
	fi
done <"$out/questions.tsv"
ctl round launch srv16
foid "2016-07-04 10:00"
wait_mail research@uni.test 155
echo "sent: $(grep -c 'event=send.ok' "$out/foid.log") invitations"

echo "== 5-8 July: the councils answer, each in its own style"
councils 1
foid "2016-07-11 10:00"
foid "2016-07-11 10:30"
when="2016-07-11 11:00"
ctl inbox >"$out/inbox.txt"
echo "foictl inbox: $(tail -n 1 "$out/inbox.txt")"
echo "$(grep -c 'step=followup' "$out/foid.log" || true) follow-ups asking for a skipped question"
echo "== the team confirms what foid read from prose"
for b in $(ctl status srv16 --json | python3 -c 'import json,sys
for r in json.load(sys.stdin)["requests"]:
    if r["status"] == "review": print(r["short_name"])'); do
	ctl code srv16 "$b" --confirm >/dev/null || fail "foictl code $b --confirm failed"
done

echo "== 14 July: the councils that skipped a question answer the follow-up"
councils 2
foid "2016-07-15 10:00"
echo "== Friday 22 July: courtesy reminders, only to councils that have not replied"
foid "2016-07-22 10:00"
foid "2016-07-22 10:30"
echo "$(grep -c 'step=courtesy' "$out/foid.log" || true) courtesy reminders"
councils 3
foid "2016-07-28 10:00"
echo "== Tuesday 2 August, after the closing date: overdue reminders"
foid "2016-08-02 10:00"
foid "2016-08-02 10:30"
echo "$(grep -c 'step=overdue' "$out/foid.log" || true) overdue reminders"

when="2016-08-03 09:00"
echo
echo "== foictl status srv16 (3 August 2016)"
ctl status srv16 >"$out/status.txt"
sed -n '/^response rate/,$p' "$out/status.txt"
ctl report srv16 --html "$out/report.html"
ctl export srv16 --output "$out/srv16.csv"
ctl status srv16 --json >"$out/status.json"
python3 "$councils_py" --expect "$out/expected.json" <"$out/bodies.tsv" ||
	fail "the councils' script could not write its plan"
while IFS="$(printf '\t')" read -r _ b _; do
	n=$(mailbox "$b") || exit 1
	printf '%s\t%s\n' "$b" "$n"
done <"$out/bodies.tsv" >"$out/mails.tsv"
python3 - "$out/expected.json" "$out/status.json" "$out/srv16.csv" "$out/bodies.tsv" \
	"$out/mails.tsv" "$out/status.txt" <<'PY'
import csv, json, re, sys
want = json.load(open(sys.argv[1]))
status = {r["short_name"]: r for r in json.load(open(sys.argv[2]))["requests"]}
export = {r["short_name"]: r for r in csv.DictReader(open(sys.argv[3], newline=""))}
email = {l.split("\t")[1]: l.split("\t")[0] for l in open(sys.argv[4])}
mails = {email[l.split("\t")[0]]: int(l.split("\t")[1]) for l in open(sys.argv[5])}
text = open(sys.argv[6]).read()
differ = []
for short, w in want["bodies"].items():
    got = (status[short]["status"], {k: export[short][k] for k in w["answers"]}, mails[short])
    if got != (w["status"], w["answers"], w["mails"]):
        differ.append("%s: foid says %s, the councils meant %s"
                      % (short, got, (w["status"], w["answers"], w["mails"])))
t = want["tallies"]
n = len(want["bodies"])
lines = ["response rate: %d of %d (%d%%) by the closing date 2016-07-29"
         % (want["replied"], n, int(100.0 * want["replied"] / n + 0.5)),
         "1. online: yes %(yes)d, no %(no)d, unclear %(unclear)d" % t["online"],
         "2. notice: median %g days, range %d-%d" % (t["notice"]["median"], t["notice"]["min"],
                                                       t["notice"]["max"]),
         "3. assisted: yes %(yes)d, no %(no)d, unclear %(unclear)d" % t["assisted"]]
for l in lines:
    if l not in text:
        differ.append("foictl status lacks: " + l)
for d in differ:
    print("differs:", d)
print("foid's conclusions agree with the councils' script for %d of %d bodies%s"
      % (n - sum(": foid says" in d for d in differ), n,
         "; they DIFFER on %d points above" % len(differ) if differ else ""))
sys.exit(1 if differ else 0)
PY
echo "report: $out/report.html   export: $out/srv16.csv   log: $out/foid.log"

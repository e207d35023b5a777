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
# Conventions as make demo (scripts/demo.sh): everything in
# demo-survey-out/, the sandbox under /tmp, one line per failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FOID_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
out=$top/demo-survey-out
fail() {
	printf 'demo-survey: %s\n' "$*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "the mail sandbox needs root (mount namespaces, Dovecot's user switch): run it as root"
for f in "$build/foid" "$build/foictl"; do
	[ -x "$f" ] || fail "$f is missing: run make first"
done
for c in faketime python3 doveadm; do
	command -v "$c" >/dev/null || fail "$c not found: run scripts/install-deps.sh"
done
if [ -L "$out/sandbox" ]; then # a previous run's, if it was not cleaned up
	old=$(readlink "$out/sandbox")
	[ -d "$old/run" ] && "$top/scripts/sandbox.sh" stop "$old" >/dev/null 2>&1 || true
	case $old in /tmp/foid-demo-survey.*) rm -rf "$old" ;; esac
fi
rm -rf "$out"
mkdir -p "$out"
sandbox=$(mktemp -d /tmp/foid-demo-survey.XXXXXX)
ln -s "$sandbox" "$out/sandbox"
finish() {
	"$top/scripts/sandbox.sh" stop "$sandbox" >/dev/null 2>&1 || true
	cp -r "$sandbox/log" "$out/sandbox-log" 2>/dev/null || true
	rm -rf "$sandbox" "$out/sandbox"
}
trap finish EXIT
"$top/scripts/sandbox.sh" start "$sandbox" --owner $$ >/dev/null ||
	fail "the mail sandbox did not start (the reason is above)"
. "$sandbox/sandbox.env"
printf '%s\n' "$SANDBOX_PASSWORD" >"$out/password"
chmod 600 "$out/password"
cat >"$out/foid.conf" <<CONF
database = "foid.db";
data_dir = "$top/data";
templates_dir = "$top/templates";
team = { name = "Jane Researcher"; address = "research@uni.test";
  digest_address = "team@uni.test"; digest_time = "08:00"; };
smtp = { host = "127.0.0.1"; port = $SANDBOX_SMTP_PORT; security = "plain";
  rate_per_minute = 10000; rate_per_domain = 10000; };
imap = { host = "127.0.0.1"; port = $SANDBOX_IMAP_PORT; security = "plain";
  username = "research@uni.test"; password_file = "password"; };
CONF
chmod 600 "$out/foid.conf"
# As in make demo: the clock runs in 2016, before the sandbox's
# certificates were issued, so IMAP is plaintext on loopback.
export TZ=Europe/London
at() {
	when=$1
	shift
	faketime -f "@$when:00" "$@"
}
ctl() { at "$when" "$build/foictl" -c "$out/foid.conf" "$@"; }
foid() {
	at "$1" "$build/foid" -c "$out/foid.conf" --once 2>>"$out/foid.log" ||
		fail "foid --once failed on $1; see $out/foid.log"
}
mailbox() { # messages in mailbox $1, or a line on stderr and non-zero
	n=$(doveadm -c "$SANDBOX_DOVECOT_CONF" mailbox status -u "$1" messages INBOX 2>&1) ||
		{ printf 'demo-survey: doveadm cannot read %s: %s\n' "$1" "$n" >&2; return 1; }
	n=${n##*messages=}
	case $n in '' | *[!0-9]*) printf 'demo-survey: doveadm said "%s" for %s\n' "$n" "$1" >&2; return 1 ;; esac
	printf '%s\n' "$n"
}
wait_mail() { # wait until mailbox $1 holds $2 messages (60 s at most)
	i=0
	while n=$(mailbox "$1") || exit 1; [ "$n" -lt "$2" ]; do
		[ $i -lt 600 ] || fail "$1 holds $n messages after 60 s, not $2; see $sandbox/log"
		sleep 0.1
		i=$((i + 1))
	done
}
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
for b in $(cut -f2 "$out/bodies.tsv"); do
	printf '%s\t%s\n' "$b" "$(mailbox "$b")" || exit 1
done >"$out/mails.tsv"
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
print("foid's conclusions %s the councils' script for %d of %d bodies"
      % ("agree with" if not differ else "DIFFER from", n - sum(1 for d in differ if ": foid says" in d), n))
sys.exit(1 if differ else 0)
PY
echo "report: $out/report.html   export: $out/srv16.csv   log: $out/foid.log"

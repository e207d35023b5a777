#!/bin/sh
# make demo: a whole FOI round, end to end, against a private mail sandbox.
# foid sends one request to each of the 155 bodies of the 2016 round; the
# councils (scripts/demo-councils.py) read what they received and answer
# as real councils do: acknowledgements with their own references,
# out-of-office replies, bounces, clarification requests (answered with
# foictl clarify), extensions, refusals, responses, some late, some never.
# Weeks pass in seconds: foid and foictl run under libfaketime.  foid does
# the rest by itself: matching, classification, deadlines, chasers, the
# team's digest.  Ends with foictl status, the HTML report and a CSV.
# Everything lives in demo-out/, made afresh on each run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FOID_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
out=$top/demo-out
[ -d "$out/sandbox/run" ] && "$top/scripts/sandbox.sh" stop "$out/sandbox" >/dev/null 2>&1 || true
rm -rf "$out"
mkdir -p "$out"
"$top/scripts/sandbox.sh" start "$out/sandbox" --owner $$ >/dev/null
trap '"$top/scripts/sandbox.sh" stop "$out/sandbox" >/dev/null 2>&1 || true' EXIT
. "$out/sandbox/sandbox.env"
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
# The demo's clock runs in 2016, before the sandbox's certificates were
# issued, so verified TLS would (rightly) refuse them: IMAP is plaintext on
# loopback here.  The tests exercise TLS.
export TZ=Europe/London
# Demo time, London: "DAY HH:MM".
at() {
	when=$1
	shift
	faketime -f "@$when:00" "$@"
}
ctl() { at "$when" "$build/foictl" -c "$out/foid.conf" "$@"; }
foid() { at "$1" "$build/foid" -c "$out/foid.conf" --once 2>>"$out/foid.log"; }
mailbox() {
	doveadm -c "$SANDBOX_DOVECOT_CONF" mailbox status -u "$1" messages INBOX |
		sed 's/.*messages=//'
}
wait_mail() { # wait until mailbox $1 holds $2 messages (30 s at most)
	i=0
	while [ "$(mailbox "$1")" -lt "$2" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
councils() {
	sqlite3 -separator "$(printf '\t')" "$out/foid.db" \
		"SELECT short_name, email, name FROM bodies ORDER BY short_name" |
		python3 "$top/scripts/demo-councils.py" "$out/sandbox/sandbox.env" "$1"
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
echo "== the team codes each answer: did the council say it was involved?"
ctl status stp16 --json | python3 -c 'import json,sys
for i, r in enumerate(json.load(sys.stdin)["requests"]):
    if r["status"] == "responded":
        print(r["short_name"], "yes" if i % 4 == 0 else "no")' |
	while read -r b v; do ctl code stp16 "$b" "involved=$v" >/dev/null; done
echo
echo "== foictl status stp16 (8 September 2016)"
ctl status stp16 >"$out/status.txt"
head -n 40 "$out/status.txt"
echo "... (all of it in demo-out/status.txt)"
ctl report stp16 --html "$out/report.html"
ctl export stp16 --output "$out/stp16.csv"
# Did foid conclude what the councils did?
sqlite3 "$out/foid.db" "SELECT short_name FROM bodies ORDER BY short_name" |
	python3 "$top/scripts/demo-councils.py" --expect >"$out/expected.txt"
ctl status stp16 --json >"$out/status.json"
python3 - "$out/expected.txt" "$out/status.json" <<'PY'
import json, sys
want = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1])}
got = json.load(open(sys.argv[2]))["requests"]
ok = 0
for r in got:
    status, *on_time = want[r["short_name"]]
    t = "" if r["on_time"] is None else str(r["on_time"]).lower()
    if r["status"] == status and (on_time[0] if on_time else "") == t:
        ok += 1
    else:
        print("differs:", r["short_name"], r["status"], t, "expected", status, *on_time)
print("foid's conclusions agree with the councils' script for %d of %d bodies" % (ok, len(got)))
sys.exit(ok != len(got))
PY
ctl status stp16 --json | python3 -c 'import json,sys
t = json.load(sys.stdin)["totals"]
print("of %d councils, %d answered on time and %d late; %d refused; %d never answered; %d bounced"
      % (t["bodies"], t["on_time"], t["late"], t["refused"], t["overdue"], t["bounced"]))'
sqlite3 "$out/foid.db" "SELECT count(*) || ' said they were involved' FROM answers WHERE key = 'involved' AND value = 'yes'"
echo "report: $out/report.html   export: $out/stp16.csv   log: $out/foid.log"

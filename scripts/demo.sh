#!/bin/sh
# make demo: foid end to end against a private mail sandbox on loopback.
# Imports the 155 bodies of the 2016 round, creates and launches an FOI
# round with the default template, lets foid send every request and file
# the mail that comes back, then shows what happened.  Everything lives in
# demo-out/ (removed and made afresh on each run); the sandbox is stopped
# on exit.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FOID_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
out=$top/demo-out
[ -d "$out" ] && "$top/scripts/sandbox.sh" stop "$out/sandbox" 2>/dev/null || true
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
team = { name = "Jane Researcher"; address = "research@uni.test"; };
smtp = { host = "127.0.0.1"; port = $SANDBOX_SMTP_PORT; security = "plain";
  rate_per_minute = 10000; rate_per_domain = 10000; };
imap = { host = "127.0.0.1"; port = $SANDBOX_IMAPS_PORT; security = "tls";
  ca_file = "$SANDBOX_CA"; username = "research@uni.test";
  password_file = "password"; };
CONF
ctl() { "$build/foictl" -c "$out/foid.conf" "$@"; }
echo "== foid -n: check the config"
"$build/foid" -n -c "$out/foid.conf"
echo "== import the 155 bodies of the 2016 round"
ctl bodies import "$top/data/bodies-england-2016.csv"
echo "== create and launch the round"
ctl round create stp16 --kind foi --template foi-request.txt \
	--title "Sustainability and transformation plans"
ctl round preview stp16 | tail -n 1
ctl round launch stp16
echo "== foid --once: send every request, then file the mail that came back"
"$build/foid" -c "$out/foid.conf" --once 2>"$out/foid.log"
grep -c 'event=send.ok' "$out/foid.log" | sed 's/^/requests handed to the SMTP server: /'
echo "== wait for the team's Bcc copies to be delivered, then file them"
i=0
while [ "$(doveadm -c "$SANDBOX_DOVECOT_CONF" mailbox status -u research@uni.test \
	messages INBOX | sed 's/.*messages=//')" -lt 155 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$build/foid" -c "$out/foid.conf" --once 2>>"$out/foid.log"
echo "== what the first council received"
doveadm -c "$SANDBOX_DOVECOT_CONF" fetch -u foi@buckinghamshire.council.test \
	hdr mailbox INBOX | grep -E '^(From|To|Subject|Message-ID):'
echo "== the store"
sqlite3 "$out/foid.db" "SELECT 'requests ' || delivery || ': ' || count(*) FROM requests GROUP BY delivery;
SELECT 'messages received and filed: ' || count(*) FROM messages WHERE direction = 'in';
SELECT 'proof for ' || reference || ': ' || delivery_detail FROM requests ORDER BY seq LIMIT 1;"
echo "== done: demo-out/ holds the database, the raw mail and the log"

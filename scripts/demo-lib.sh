# shellcheck shell=sh disable=SC2154
# Sourced by scripts/demo.sh and scripts/demo-survey.sh, with top set to
# the source tree and name to the demo's ("demo", "demo-survey"): checks what the demo needs,
# starts a mail sandbox in a fresh directory under /tmp (removed on exit;
# $out/sandbox points there meanwhile, its logs end in $out/sandbox-log),
# writes $out/foid.conf for it, and defines the helpers:
#   fail MESSAGE      one line on stderr, exit 1
#   at DAY CMD...     CMD under libfaketime at DAY ("YYYY-MM-DD HH:MM")
#   ctl ARGS...       foictl at $when;  foid DAY  foid --once at DAY
#   mailbox USER      messages in USER's INBOX
#   wait_mail USER N  wait until USER's INBOX holds N messages
# Everything else lives in $out ($top/$name-out), made afresh on each run.
build=${FOID_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
out=$top/$name-out
fail() {
	printf '%s: %s\n' "$name" "$*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "the mail sandbox needs root (mount namespaces, Dovecot's user switch): run it as root"
for f in "$build/foid" "$build/foictl"; do
	[ -x "$f" ] || fail "$f is missing: run make first"
done
for c in faketime sqlite3 python3 doveadm; do
	command -v "$c" >/dev/null || fail "$c not found: run scripts/install-deps.sh"
done
if [ -L "$out/sandbox" ]; then # a previous run's, if it was not cleaned up
	old=$(readlink "$out/sandbox")
	[ -d "$old/run" ] && "$top/scripts/sandbox.sh" stop "$old" >/dev/null 2>&1 || true
	case $old in /tmp/foid-$name.*) rm -rf "$old" ;; esac
fi
rm -rf "$out"
mkdir -p "$out"
sandbox=$(mktemp -d "/tmp/foid-$name.XXXXXX")
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
foid() {
	at "$1" "$build/foid" -c "$out/foid.conf" --once 2>>"$out/foid.log" ||
		fail "foid --once failed on $1; see $out/foid.log"
}
mailbox() { # messages in mailbox $1, or a line on stderr and non-zero
	n=$(doveadm -c "$SANDBOX_DOVECOT_CONF" mailbox status -u "$1" messages INBOX 2>&1) ||
		{ printf '%s: doveadm cannot read %s: %s\n' "$name" "$1" "$n" >&2; return 1; }
	n=${n##*messages=}
	case $n in '' | *[!0-9]*) printf '%s: doveadm said "%s" for %s\n' "$name" "$n" "$1" >&2; return 1 ;; esac
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

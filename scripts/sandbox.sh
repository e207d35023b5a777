#!/bin/bash
# A private, real mail system on loopback for the tests and the demo:
# OpenSMTPD (SMTP) delivering over LMTP to Dovecot (IMAP, IMAPS, and SMTP
# submission with STARTTLS or implicit TLS, relaying to OpenSMTPD).
#
# Usage (as root):
#   scripts/sandbox.sh start DIR [--owner PID]
#   scripts/sandbox.sh stop DIR
#   scripts/sandbox.sh dovecot-down DIR | dovecot-up DIR
#   scripts/sandbox.sh smtpd-down DIR | smtpd-up DIR
#                         stop one server alone and start it again on the
#                         same ports, for tests of lost and regained servers
#
# start creates DIR (mode 0755: Dovecot's mail processes run as dovenull and
# must reach DIR/mail; start refuses a DIR inside a directory other users
# cannot enter, such as a home of mode 0700), generates a test CA and server certificates, writes
# the server configurations, starts both servers on free loopback ports and
# waits until each answers.  With --owner PID a detached watcher stops the
# sandbox once PID exits, so a crashed caller leaves nothing running.  On
# failure start prints the reason and the relevant log lines, stops whatever
# it started and exits non-zero.  stop ends every process of the sandbox
# (each server runs in its own mount namespace, which identifies it).
#
# DIR/sandbox.env holds shell KEY=value lines:
#   SANDBOX_DIR                 DIR
#   SANDBOX_HOST                127.0.0.1 (every endpoint below unless noted)
#   SANDBOX_SMTP_PORT           OpenSMTPD: SMTP, plaintext, no auth, no STARTTLS
#   SANDBOX_SUBMISSION_PORT     Dovecot submission: plaintext, STARTTLS offered,
#                               AUTH (PLAIN, LOGIN) required, relays to OpenSMTPD
#   SANDBOX_SMTPS_PORT          Dovecot submission over implicit TLS, AUTH required
#   SANDBOX_IMAP_PORT           IMAP, plaintext, STARTTLS offered
#   SANDBOX_IMAPS_PORT          IMAP over implicit TLS
#   SANDBOX_LMTP_PORT           Dovecot LMTP (OpenSMTPD delivers here)
#   SANDBOX_CA                  PEM of the test CA
#   SANDBOX_PASSWORD            password of every user (random per start)
#   SANDBOX_OAUTH2_KEY          HS256 key (base64) Dovecot checks bearer JWTs with
#   SANDBOX_OAUTH2_ISSUER       the issuer (iss) those JWTs must name
#   SANDBOX_DOVECOT_CONF        for doveadm -c
#   SANDBOX_SMTPD_CONF
#   SANDBOX_DOVECOT_LOG, SANDBOX_SMTPD_LOG
#   SANDBOX_DOVECOT_PID, SANDBOX_SMTPD_PID   the servers' main processes
#   SANDBOX_DOVECOT_MNTNS, SANDBOX_SMTPD_MNTNS  mount namespace inodes
#   Bad certificates, each on its own loopback address because Dovecot picks
#   certificates by local address, not port:
#   SANDBOX_IMAPS_SELFSIGNED_HOST/_PORT  127.0.0.2, self-signed certificate
#   SANDBOX_IMAPS_EXPIRED_HOST/_PORT     127.0.0.3, expired in 2019, CA-signed
#   SANDBOX_IMAPS_WRONGHOST_HOST/_PORT   127.0.0.4, CA-signed for mail.wrong.test
# The good certificate (submission, SMTPS, IMAP, IMAPS) names DNS:localhost and
# IP:127.0.0.1.  The self-signed and expired ones also name their own
# address, so each fails verification for exactly one reason.
#
# Every address user@domain is a Dovecot user with its own maildir at
# DIR/mail/domain/user; OpenSMTPD accepts mail for any recipient and hands
# it to Dovecot over LMTP, except that it answers 550 at RCPT to any address
# whose local part is reject550 (for tests of permanent failures).
# OpenSMTPD takes 100 messages per session, then answers 452 4.5.3: clients
# reconnect.
#
# Why TLS for SMTP comes from Dovecot: Debian 12's OpenSMTPD 6.8 cannot
# complete a TLS handshake with OpenSSL 3 (its privilege-separated key
# engine loses the key: "EVP lib", OpenSMTPD issues #1171 and #1239), so it
# must not offer STARTTLS at all; Dovecot's submission service does TLS.
set -eu

HOST=127.0.0.1
SELFSIGNED_HOST=127.0.0.2
EXPIRED_HOST=127.0.0.3
WRONGHOST_HOST=127.0.0.4
# Seconds a server gets to answer on each port.  Generous: with several
# sandboxes starting at once on a loaded machine, Dovecot's first login
# process can take seconds to be forked and to greet.
DEADLINE=${SANDBOX_DEADLINE:-30}
ATTEMPTS=5       # port clashes tolerated before giving up

die() {
	printf 'sandbox: %s\n' "$*" >&2
	exit 1
}

usage() {
	die "usage: $0 start DIR [--owner PID] | $0 stop DIR | $0 dovecot-down|dovecot-up|smtpd-down|smtpd-up DIR"
}

# Pids of every process in mount namespace $1 (an inode number).
ns_pids() {
	find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "mnt:\\[$1\\]" 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/.*|\1|'
}

ns_of() {
	local l
	l=$(readlink "/proc/$1/ns/mnt" 2>/dev/null) || return 1
	l=${l#mnt:[}
	printf '%s\n' "${l%]}"
}

# Ends every process of the namespace recorded in file $1: TERM, then KILL
# once the deadline has passed.
stop_ns() {
	local f=$1 ns pids end
	[ -e "$f" ] || return 0
	ns=$(cat "$f")
	pids=$(ns_pids "$ns")
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
	end=$((SECONDS + 5))
	while [ -n "$pids" ] && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.05
		pids=$(ns_pids "$ns")
	done
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	rm -f "$f"
}

# Ends every process of the sandbox, and its watcher.
stop_all() {
	local dir=$1 f
	for f in "$dir"/run/*.mntns; do
		stop_ns "$f"
	done
	if [ -f "$dir/run/watcher.pid" ]; then
		f=$(cat "$dir/run/watcher.pid")
		# The watcher runs stop itself; it must not kill itself halfway.
		# Its own session, hence process group: its tail goes with it.
		[ "$f" != "$$" ] && kill -TERM -- "-$f" 2>/dev/null
		rm -f "$dir/run/watcher.pid"
	fi
	return 0
}

# One free TCP port per address given, chosen by the kernel.
free_ports() {
	python3 - "$@" <<'EOF'
import socket, sys
socks = []
for addr in sys.argv[1:]:
    s = socket.socket()
    s.bind((addr, 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Waits until host:port accepts a connection and sends a greeting starting
# with $3: the server is ready only once a process of it answers, not when
# the port is merely bound.  Fails early when pid $4 has died.  On failure
# WAITED says what was last seen, for the error message.
wait_port() {
	local host=$1 port=$2 greet=$3 pid=$4 end line
	end=$((SECONDS + DEADLINE))
	WAITED="no answer on $host:$port"
	while [ "$SECONDS" -lt "$end" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			WAITED="it exited while $host:$port was awaited"
			return 1
		fi
		# A subshell, so that a refused connection cannot end this shell.
		# The greeting may be slow under load: wait for it up to 5 s.
		if line=$( (exec 3<>"/dev/tcp/$host/$port" || exit 1
			read -r -t 5 l <&3 || true
			printf '%s' "${l-}") 2>/dev/null); then
			case $line in "$greet"*) return 0 ;; esac
			WAITED="$host:$port accepted but did not greet with '$greet' (got '${line%$'\r'}')"
		fi
		sleep 0.05
	done
	WAITED="$WAITED after ${DEADLINE}s"
	return 1
}

make_certs() {
	local t=$1 san
	san="subjectAltName=DNS:localhost,IP:127.0.0.1"
	# Backdated so that the expired certificate lies within the CA's life.
	faketime '2019-01-01 00:00:00' openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7300 \
		-subj "/CN=foid sandbox test CA" \
		-keyout "$t/ca.key" -out "$t/ca.crt" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$t/server.key" 2>/dev/null
	openssl req -new -key "$t/server.key" -subj /CN=localhost -out "$t/server.csr"
	printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >"$t/good.ext"
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" \
		-set_serial 1 -days 30 -extfile "$t/good.ext" -out "$t/good.crt" 2>/dev/null
	printf '%s,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$san" "$EXPIRED_HOST" >"$t/expired.ext"
	faketime '2019-02-01 00:00:00' openssl x509 -req -in "$t/server.csr" \
		-CA "$t/ca.crt" -CAkey "$t/ca.key" -set_serial 2 -days 30 \
		-extfile "$t/expired.ext" -out "$t/expired.crt" 2>/dev/null
	printf 'subjectAltName=DNS:mail.wrong.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$t/wronghost.ext"
	openssl req -new -key "$t/server.key" -subj /CN=mail.wrong.test |
		openssl x509 -req -CA "$t/ca.crt" -CAkey "$t/ca.key" -set_serial 3 \
			-days 30 -extfile "$t/wronghost.ext" -out "$t/wronghost.crt" 2>/dev/null
	openssl req -x509 -key "$t/server.key" -days 30 -subj /CN=localhost \
		-addext "$san,IP:$SELFSIGNED_HOST" -out "$t/selfsigned.crt"
	chmod 0600 "$t"/*.key
}

write_dovecot_conf() {
	local dir=$1
	local t=$dir/tls
	cat >"$dir/dovecot.conf" <<EOF
# Written by scripts/sandbox.sh; private to this sandbox.
protocols = imap lmtp submission
hostname = localhost
submission_relay_host = $HOST
submission_relay_port = $SMTP_PORT
listen = $HOST
base_dir = $dir/run/dovecot
state_dir = $dir/state
log_path = $dir/log/dovecot.log
info_log_path = $dir/log/dovecot.log
ssl = yes
ssl_cert = <$t/good.crt
ssl_key = <$t/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_username_format = %Lu
passdb {
  driver = static
  mechanisms = plain login
  args = password=$PASSWORD
}
# Bearer tokens are JWTs that Dovecot checks itself with the HS256 key in
# $dir/oauth2/keys, issued by the test identity provider (tests/idp.py).
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/oauth2/dovecot-oauth2.conf.ext
}
# allow_all_users: the static userdb would otherwise ask the passdbs
# whether a user exists, and each passdb serves only its mechanisms.
userdb {
  driver = static
  args = uid=dovenull gid=dovenull allow_all_users=yes
}
first_valid_uid = 1
mail_location = maildir:$dir/mail/%d/%n
namespace inbox {
  inbox = yes
  separator = /
}
local $SELFSIGNED_HOST {
  ssl_cert = <$t/selfsigned.crt
}
local $EXPIRED_HOST {
  ssl_cert = <$t/expired.crt
}
local $WRONGHOST_HOST {
  ssl_cert = <$t/wronghost.crt
}
service imap-login {
  inet_listener imap {
    address = $HOST
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $IMAPS_PORT
    ssl = yes
  }
  inet_listener imaps_selfsigned {
    address = $SELFSIGNED_HOST
    port = $SELFSIGNED_PORT
    ssl = yes
  }
  inet_listener imaps_expired {
    address = $EXPIRED_HOST
    port = $EXPIRED_PORT
    ssl = yes
  }
  inet_listener imaps_wronghost {
    address = $WRONGHOST_HOST
    port = $WRONGHOST_PORT
    ssl = yes
  }
}
service submission-login {
  inet_listener submission {
    address = $HOST
    port = $SUBMISSION_PORT
  }
  inet_listener submissions {
    address = $HOST
    port = $SMTPS_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = $HOST
    port = $LMTP_PORT
  }
}
EOF
	chmod 0600 "$dir/dovecot.conf"
	mkdir -p "$dir/oauth2/keys/default/HS256"
	printf '%s' "$OAUTH2_KEY" >"$dir/oauth2/keys/default/HS256/default"
	cat >"$dir/oauth2/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$dir/oauth2/keys/
issuers = $OAUTH2_ISSUER
username_attribute = email
EOF
}

write_smtpd_conf() {
	local dir=$1
	cat >"$dir/smtpd.conf" <<EOF
# Written by scripts/sandbox.sh; private to this sandbox.
table vusers { "@" = "nobody" }
listen on $HOST port $SMTP_PORT hostname localhost
action "deliver" lmtp "$HOST:$LMTP_PORT" rcpt-to virtual <vusers>
match from any for rcpt-to regex "^reject550@" reject
match from any for any action "deliver"
EOF
	chmod 0600 "$dir/smtpd.conf"
}

# Prints the log's last lines, indented, for an error message.
log_tail() {
	[ -f "$1" ] && tail -n 15 "$1" | sed 's/^/  /' >&2
	return 0
}

# Runs a server in the foreground, in the background of this shell: in its
# own session (untouched by the caller's terminal signals) and its own mount
# namespace, which marks every process of it as this sandbox's.  Records its
# pid and namespace under DIR/run.
launch() {
	local dir=$1 name=$2 pid ns own end
	shift 2
	WAITED="it could not be launched"
	setsid unshare --mount --propagation private "$@" \
		</dev/null >>"$dir/log/$name.log" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$dir/run/$name.pid"
	# The namespace exists once unshare has run; until then ns_of shows ours.
	own=$(ns_of $$)
	end=$((SECONDS + DEADLINE))
	while :; do
		ns=$(ns_of "$pid") || return 1
		[ "$ns" != "$own" ] && break
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.01
	done
	printf '%s\n' "$ns" >"$dir/run/$name.mntns"
	LAUNCHED=$pid
}

start_dovecot() {
	local dir=$1
	launch "$dir" dovecot dovecot -F -c "$dir/dovecot.conf" || return 1
	wait_port "$HOST" "$IMAP_PORT" "* OK" "$LAUNCHED" &&
		wait_port "$HOST" "$LMTP_PORT" "220" "$LAUNCHED" &&
		wait_port "$HOST" "$SUBMISSION_PORT" "220" "$LAUNCHED"
}

start_smtpd() {
	local dir=$1
	# The control socket (/run/smtpd.sock) and the queue (/var/spool/smtpd)
	# are compiled in: bind this sandbox's own over them, privately.
	# OpenSMTPD looks up each client's name before its greeting; from
	# /etc/hosts only, so a slow resolver never stalls a connection.
	printf 'lookup file\n' >"$dir/resolv.conf"
	# shellcheck disable=SC2016
	launch "$dir" smtpd sh -c \
		'{ [ ! -e /etc/resolv.conf ] || mount --bind "$1/resolv.conf" /etc/resolv.conf; } &&
		 mount --bind "$1/run/smtpd" /run && mount --bind "$1/spool" /var/spool &&
		 exec smtpd -d -f "$1/smtpd.conf"' sh "$dir" || return 1
	wait_port "$HOST" "$SMTP_PORT" "220" "$LAUNCHED"
}

clashed() {
	grep -qi 'address already in use' "$1" 2>/dev/null
}

cmd_start() {
	local dir=$1 owner=$2 try=1 ports failed
	[ "$(id -u)" -eq 0 ] || die "must run as root (mount namespaces, Dovecot's user switch)"
	for c in dovecot smtpd unshare setpriv openssl faketime python3; do
		command -v "$c" >/dev/null || die "$c not found: run scripts/install-deps.sh"
	done
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	chmod 0755 "$dir"
	[ -e "$dir/sandbox.env" ] && die "$dir already holds a sandbox"
	mkdir -p "$dir/tls" "$dir/log" "$dir/state" "$dir/run/dovecot" \
		"$dir/run/smtpd" "$dir/spool/smtpd" "$dir/mail"
	chmod 0700 "$dir/tls"
	chmod 0711 "$dir/spool/smtpd"
	chown dovenull:dovenull "$dir/mail"
	setpriv --reuid=dovenull --regid=dovenull --clear-groups test -w "$dir/mail" ||
		die "Dovecot's mail user dovenull cannot reach $dir/mail: a directory above it is closed to other users (mode 0700?); start the sandbox under /tmp (e.g. DIR=\$(mktemp -d))"
	: >"$dir/log/dovecot.log"
	: >"$dir/log/smtpd.log"
	PASSWORD=$(openssl rand -hex 12)
	# The standard base64 of 32 random bytes: Dovecot's form of an HS256 key.
	OAUTH2_KEY=$(openssl rand -base64 32)
	OAUTH2_ISSUER=https://idp.test.invalid
	make_certs "$dir/tls" || { stop_all "$dir"; die "certificate generation failed"; }

	if [ -n "$owner" ]; then
		# Detached (own session, no inherited output) so that neither the
		# caller's death nor its terminal's signals take the watcher along.
		# shellcheck disable=SC2016
		setsid sh -c 'tail --pid="$1" -f /dev/null; exec bash "$2" stop "$3"' \
			sh "$owner" "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" "$dir" \
			</dev/null >>"$dir/log/watcher.log" 2>&1 &
		printf '%s\n' "$!" >"$dir/run/watcher.pid"
	fi

	while :; do
		# shellcheck disable=SC2046
		set -- $(free_ports "$HOST" "$HOST" "$HOST" "$HOST" "$HOST" "$HOST" \
			"$SELFSIGNED_HOST" "$EXPIRED_HOST" "$WRONGHOST_HOST")
		SMTP_PORT=$1 SUBMISSION_PORT=$2 SMTPS_PORT=$3 IMAP_PORT=$4
		IMAPS_PORT=$5 LMTP_PORT=$6
		SELFSIGNED_PORT=$7 EXPIRED_PORT=$8 WRONGHOST_PORT=$9
		write_dovecot_conf "$dir"
		write_smtpd_conf "$dir"
		ports="$*"
		failed=
		start_dovecot "$dir" || failed=dovecot
		[ -n "$failed" ] || start_smtpd "$dir" || failed=smtpd
		[ -n "$failed" ] || break
		stop_all "$dir"
		if clashed "$dir/log/$failed.log" && [ "$try" -lt "$ATTEMPTS" ]; then
			printf 'sandbox: port clash on one of %s, retrying\n' "$ports" \
				>>"$dir/log/$failed.log"
			try=$((try + 1))
			continue
		fi
		printf 'sandbox: %s did not start in %s (%s); %s says:\n' \
			"$failed" "$dir" "$WAITED" "$dir/log/$failed.log" >&2
		log_tail "$dir/log/$failed.log"
		exit 1
	done

	cat >"$dir/sandbox.env.tmp" <<EOF
SANDBOX_DIR=$dir
SANDBOX_HOST=$HOST
SANDBOX_SMTP_PORT=$SMTP_PORT
SANDBOX_SUBMISSION_PORT=$SUBMISSION_PORT
SANDBOX_SMTPS_PORT=$SMTPS_PORT
SANDBOX_IMAP_PORT=$IMAP_PORT
SANDBOX_IMAPS_PORT=$IMAPS_PORT
SANDBOX_LMTP_PORT=$LMTP_PORT
SANDBOX_IMAPS_SELFSIGNED_HOST=$SELFSIGNED_HOST
SANDBOX_IMAPS_SELFSIGNED_PORT=$SELFSIGNED_PORT
SANDBOX_IMAPS_EXPIRED_HOST=$EXPIRED_HOST
SANDBOX_IMAPS_EXPIRED_PORT=$EXPIRED_PORT
SANDBOX_IMAPS_WRONGHOST_HOST=$WRONGHOST_HOST
SANDBOX_IMAPS_WRONGHOST_PORT=$WRONGHOST_PORT
SANDBOX_CA=$dir/tls/ca.crt
SANDBOX_PASSWORD=$PASSWORD
SANDBOX_OAUTH2_KEY=$OAUTH2_KEY
SANDBOX_OAUTH2_ISSUER=$OAUTH2_ISSUER
SANDBOX_DOVECOT_CONF=$dir/dovecot.conf
SANDBOX_SMTPD_CONF=$dir/smtpd.conf
SANDBOX_DOVECOT_LOG=$dir/log/dovecot.log
SANDBOX_SMTPD_LOG=$dir/log/smtpd.log
SANDBOX_DOVECOT_PID=$(cat "$dir/run/dovecot.pid")
SANDBOX_SMTPD_PID=$(cat "$dir/run/smtpd.pid")
SANDBOX_DOVECOT_MNTNS=$(cat "$dir/run/dovecot.mntns")
SANDBOX_SMTPD_MNTNS=$(cat "$dir/run/smtpd.mntns")
EOF
	chmod 0600 "$dir/sandbox.env.tmp"
	mv "$dir/sandbox.env.tmp" "$dir/sandbox.env"
}

cmd_stop() {
	local dir=$1
	[ -d "$dir/run" ] || die "$dir is not a sandbox"
	stop_all "$dir"
	rm -f "$dir/sandbox.env" "$dir/run/dovecot.pid" "$dir/run/smtpd.pid"
}

# One server alone (dovecot or smtpd): down, then up again on the ports in
# sandbox.env.
cmd_server() {
	local dir=$1 server=$2 action=$3
	[ -f "$dir/sandbox.env" ] || die "$dir is not a running sandbox"
	# shellcheck disable=SC1091
	. "$dir/sandbox.env"
	if [ "$action" = down ]; then
		stop_ns "$dir/run/$server.mntns"
		return 0
	fi
	[ -e "$dir/run/$server.mntns" ] && die "$server is running already"
	HOST=$SANDBOX_HOST IMAP_PORT=$SANDBOX_IMAP_PORT LMTP_PORT=$SANDBOX_LMTP_PORT \
		SUBMISSION_PORT=$SANDBOX_SUBMISSION_PORT SMTP_PORT=$SANDBOX_SMTP_PORT
	"start_$server" "$dir" || die "$server did not start again; see $dir/log/$server.log"
	local up
	up=$(printf '%s' "$server" | tr '[:lower:]' '[:upper:]')
	sed -i -e "s/^SANDBOX_${up}_PID=.*/SANDBOX_${up}_PID=$(cat "$dir/run/$server.pid")/" \
		-e "s/^SANDBOX_${up}_MNTNS=.*/SANDBOX_${up}_MNTNS=$(cat "$dir/run/$server.mntns")/" \
		"$dir/sandbox.env"
}

[ $# -ge 2 ] || usage
case $1 in
dovecot-down | dovecot-up | smtpd-down | smtpd-up)
	[ $# -eq 2 ] || usage
	cmd_server "$2" "${1%-*}" "${1#*-}"
	;;
start)
	owner=
	if [ $# -eq 4 ] && [ "$3" = "--owner" ]; then
		case $4 in '' | *[!0-9]*) die "--owner wants a pid, not '$4'" ;; esac
		owner=$4
	elif [ $# -ne 2 ]; then
		usage
	fi
	cmd_start "$2" "$owner"
	;;
stop)
	[ $# -eq 2 ] || usage
	cmd_stop "$2"
	;;
*) usage ;;
esac

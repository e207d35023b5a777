#!/bin/sh
# Installs what foid needs to build, test and run its demo on Debian 12.
# Idempotent: does nothing when every package is already there.
set -eu

PKGS="build-essential pkg-config
libcurl4-gnutls-dev libetpan-dev libsqlite3-dev libconfig-dev check
libjansson-dev libcsv-dev libxml2-dev libytnef0-dev libsystemd-dev libgnutls28-dev libzip-dev
libpcre2-dev poppler-utils antiword catdoc groff tesseract-ocr tesseract-ocr-eng
dovecot-imapd dovecot-lmtpd dovecot-submissiond opensmtpd faketime openssl sqlite3 util-linux
python3 chromium systemd systemd-container valgrind clang"

# make bench also compares foid with these.
[ "${1:-}" = --bench ] && PKGS="$PKGS msmtp isync curl time"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Packaged daemons (dovecot, smtpd) must not start system-wide instances:
# the tests and the demo run private ones on loopback.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

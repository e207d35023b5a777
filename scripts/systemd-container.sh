#!/bin/sh
# Runs a command on a systemd that is PID 1, where this machine's own is not
# (a container or a CI runner): boots a throwaway systemd-nspawn container
# over a copy-on-write overlay of this machine's root, so it has the same
# binaries, libraries and converters, runs the command there as a service,
# and powers off.  The command's output and exit code are its own.  Writes
# reach this machine only in the directories given with --bind; everything
# else the container writes is thrown away with the overlay.
#
#   systemd-container.sh [--bind DIR]... -- COMMAND [ARG]...
#
# Needs root and systemd-nspawn (Debian's systemd-container).  Exits 125
# when the container cannot be booted.
set -eu

usage() {
	echo "usage: systemd-container.sh [--bind DIR]... -- COMMAND [ARG]..." >&2
	exit 125
}

binds=""
while [ $# -gt 0 ]; do
	case $1 in
	--bind) [ $# -ge 2 ] || usage; binds="$binds --bind=$2"; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage
command -v systemd-nspawn >/dev/null || { echo "systemd-container: no systemd-nspawn" >&2; exit 125; }

top=$(mktemp -d "${TMPDIR:-/tmp}/foid-container.XXXXXX")
pid=""
# While mounted, lower is this machine's root: nothing under top is
# removed unless both mount points are gone (rmdir refuses a mount point
# and a directory with anything in it).
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	umount "$top/root" 2>/dev/null || umount -l "$top/root" 2>/dev/null || true
	umount "$top/lower" 2>/dev/null || umount -l "$top/lower" 2>/dev/null || true
	if rmdir "$top/root" "$top/lower" 2>/dev/null; then
		rm -rf "$top"
	else
		echo "systemd-container: $top is still mounted; not removed" >&2
	fi
}
trap cleanup EXIT
trap 'exit 125' INT TERM HUP
mkdir "$top/lower" "$top/upper" "$top/work" "$top/root" "$top/out"
if ! mount --bind / "$top/lower" ||
   ! mount -t overlay overlay -o "lowerdir=$top/lower,upperdir=$top/upper,workdir=$top/work" "$top/root"; then
	echo "systemd-container: cannot mount an overlay of / under $top" >&2
	exit 125
fi

# The command as a shell script, each word quoted, so no word is split or
# expanded on its way into the unit.
{
	printf 'exec'
	for word; do
		printf " '%s'" "$(printf '%s' "$word" | sed "s/'/'\\\\''/g")"
	done
	printf '\n'
} >"$top/out/command"

units="$top/root/etc/systemd/system"
mkdir -p "$units/multi-user.target.wants"
cat >"$units/foid-container-run.service" <<EOF
[Unit]
Description=the command systemd-container.sh was given
After=multi-user.target
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'sh $top/out/command >$top/out/stdout 2>$top/out/stderr; echo \$? >$top/out/rc'
EOF
ln -s ../foid-container-run.service "$units/multi-user.target.wants/"

# --keep-unit and --register=no: the host has no systemd to ask for a scope
# or a machine registration.  --private-network: the machine's own enabled
# daemons boot too, and must not take this machine's ports.
# In the background, so that a signal to this script stops the container.
# shellcheck disable=SC2086
timeout 600 systemd-nspawn --quiet --directory="$top/root" --boot --keep-unit \
	--register=no --link-journal=no --private-network --console=pipe \
	--bind="$top/out" $binds </dev/null >"$top/boot.log" 2>&1 &
pid=$!
booted=0
wait "$pid" && booted=1
pid=""
if [ "$booted" = 0 ] || [ ! -s "$top/out/rc" ]; then
	echo "systemd-container: the container did not run the command; its console:" >&2
	tail -n 20 "$top/boot.log" >&2
	exit 125
fi
cat "$top/out/stdout"
cat "$top/out/stderr" >&2
exit "$(cat "$top/out/rc")"

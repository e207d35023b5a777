#!/bin/sh
# CI: make demo (or the target given, e.g. demo-survey) from a fresh clone
# of HEAD inside a directory of mode 0700, as in a Debian home directory or
# /root, where other users (Dovecot's mail user among them) cannot enter.  Fails when the demo fails, including when
# foid's figures differ from what the councils' script played.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 0700 "$dir"
git clone -q "$top" "$dir/foid"
cd "$dir/foid"
git checkout -q "$(git -C "$top" rev-parse HEAD)"
make "${1:-demo}"

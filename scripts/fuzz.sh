#!/bin/sh
# make fuzz: builds each libFuzzer harness of tests/fuzz/ with clang (ASan +
# UBSan) and runs it for FUZZ_SECONDS (default 60) seconds, seeded from the
# mail corpus, the shipped templates, the example config, the bodies
# file and survey replies.  New inputs go to build-fuzz/corpus-NAME; a
# crash leaves its input in build-fuzz/ and fails the run (turn it into a
# regression test).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-60}
out=build-fuzz
make -s BUILD=$out CC=clang \
	CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	$out/libfoid.a
pkgs="libcurl libetpan sqlite3 libconfig jansson libxml-2.0 gnutls libsystemd libytnef libzip libpcre2-8"
cflags=$(pkg-config --cflags $pkgs)
libs=$(pkg-config --libs $pkgs | sed 's/-specs=[^ ]*//g')
status=0
# zipdoc's seeds are the office documents the tests make.
mkdir -p "$out/seeds-zipdoc"
python3 tests/make-documents.py "$out/seeds-zipdoc"
rm -f "$out/seeds-zipdoc/"*.pdf "$out/seeds-zipdoc/bomb.docx"
for name in mime csv template config zipdoc survey; do
	# shellcheck disable=SC2086
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-Idaemon $cflags -o "$out/fuzz_$name" "tests/fuzz/fuzz_$name.c" \
		"$out/libfoid.a" $libs -lcsv -lm
	case $name in
	mime) seeds="tests/corpus/bounces tests/corpus/autoreplies tests/corpus/mime tests/corpus/replies" ;;
	csv) seeds="tests/fuzz/seeds/csv" ;;
	template) seeds="templates" ;;
	config) seeds="config" ;;
	zipdoc) seeds="$out/seeds-zipdoc" ;;
	survey) seeds="tests/fuzz/seeds/survey tests/corpus/replies" ;;
	esac
	mkdir -p "$out/corpus-$name"
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	if ! LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
		"$out/fuzz_$name" "$out/corpus-$name" $seeds -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/crash-$name-" \
		-print_final_stats=1 >"$out/fuzz_$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see $out/fuzz_$name.log and $out/crash-$name-*"
		status=1
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/fuzz_$name.log" |
		sed "s/^/fuzz: $name /"
done
exit $status

#!/bin/sh
# Runs each Check test binary, then prints one closing line for the lot.
# Check's CK_FORK mode keeps one crashing case from taking down the rest.
passed=0
failed=0
status=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -n "$line" ]; then
		n=$(printf '%s' "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		f=$(printf '%s' "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		e=$(printf '%s' "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		passed=$((passed + n - f - e))
		failed=$((failed + f + e))
	else
		echo "$t: no result line (exit $rc)"
		failed=$((failed + 1))
	fi
	[ "$rc" -ne 0 ] && status=1
done
echo "$passed passed, $failed failed"
exit $status

#!/usr/bin/env bash
# Runs every test: set-up/build, unit tests (meson + cmocka), integration tests
# (pytest in the namespace lab).  Ends with one line "N passed, N failed" and exits
# non-zero iff something failed.
#   bash scripts/test.sh (as root) [extra pytest args]
# VIPD_SKIP_SETUP=1 skips scripts/setup.sh (already installed and built).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "test: must run as root: bash scripts/test.sh from a root shell, or with sudo" >&2
    exit 1
fi

PY=/usr/bin/python3            # Debian's interpreter: scapy and pytest belong to it
export PYTHONDONTWRITEBYTECODE=1
work=$(mktemp -d /tmp/vipd-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

echo "=== set-up and build"
if [ "${VIPD_SKIP_SETUP:-0}" = 1 ]; then
    echo "test: VIPD_SKIP_SETUP=1: set-up and build skipped"
elif ! bash scripts/setup.sh; then
    echo "test: set-up/build FAILED"
    add 0 1
fi

# Cases counted from meson's testlog.json (cmocka cases, not executables).
count_meson() {
    "$PY" - "$1" "$2" <<'PYEOF'
import json, re, sys
path, rc = sys.argv[1], int(sys.argv[2])
p = f = 0
try:
    lines = open(path).read().splitlines()
except OSError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    res = t.get("result", "")
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    # cmocka: count its test cases rather than the executable
    cp = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
    cf = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
    if res in ("OK", "EXPECTEDFAIL"):
        p += cp if (cp or cf) else 1
        f += cf
    elif res == "SKIP":
        pass
    else:   # FAIL, UNEXPECTEDPASS, TIMEOUT, ERROR, INTERRUPT
        p += cp
        f += max(cf, 1)
if rc != 0 and f == 0:
    f = 1   # meson itself failed (e.g. a test did not build)
print(p, f)
PYEOF
}

echo "=== unit tests (meson test)"
if [ -f build/build.ninja ]; then
    rm -f build/meson-logs/testlog.json
    timeout -k 30 900 meson test -C build --no-rebuild --print-errorlogs
    mrc=$?
    read -r up uf < <(count_meson build/meson-logs/testlog.json "$mrc")
    echo "unit tests: ${up:-0} ok, ${uf:-1} failing (meson rc=$mrc)"
    add "${up:-0}" "${uf:-1}"
else
    echo "test: no build/build.ninja: unit tests not run"
    add 0 1
fi

echo "=== unit tests again, debug build with ASan and UBSan"
if { [ -f build-asan/build.ninja ] || meson setup build-asan -Dbuildtype=debug \
        -Db_sanitize=address,undefined >/dev/null; } && ninja -C build-asan >/dev/null; then
    rm -f build-asan/meson-logs/testlog.json
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        timeout -k 30 900 meson test -C build-asan --no-rebuild --print-errorlogs
    arc=$?
    read -r ap af < <(count_meson build-asan/meson-logs/testlog.json "$arc")
    echo "sanitized unit tests: ${ap:-0} ok, ${af:-1} failing (meson rc=$arc)"
    add "${ap:-0}" "${af:-1}"
else
    echo "test: the ASan/UBSan build FAILED"
    add 0 1
fi

echo "=== integration tests (pytest)"
timeout -k 30 1500 "$PY" -m pytest -v -p no:cacheprovider --junitxml="$work/junit.xml" \
    tests/integration "$@"
prc=$?
read -r ip if_ < <("$PY" - "$work/junit.xml" "$prc" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
path, rc = sys.argv[1], int(sys.argv[2])
p = f = 0
try:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for s in suites:
        tests, fl, er, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        p += tests - fl - er - sk
        f += fl + er
except (OSError, ET.ParseError):
    if rc not in (0, 5):
        f = 1
if rc not in (0, 1, 5) and f == 0:
    f = 1       # interrupted, internal error, usage error
print(p, f)
PYEOF
)
echo "integration tests: ${ip:-0} ok, ${if_:-1} failing (pytest rc=$prc)"
add "${ip:-0}" "${if_:-1}"

left=$(ip netns list 2>/dev/null | grep -E "^vl[0-9]" || true)
if [ -n "$left" ]; then
    echo "test: note: lab namespaces present after the run: $(echo $left | tr '\n' ' ')"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

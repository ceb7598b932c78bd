#!/usr/bin/env bash
# Run every quality gate, then the tests; print one verdict line per gate and per suite.
#
#   scripts/check.sh               gates, unit tests, then the lab e2e tests when possible
#   scripts/check.sh --gates-only  gates only (make lint)
#   scripts/check.sh --tests-only  unit tests, then the lab e2e tests when possible (make test)
#
# Every gate runs even after one failed, so a single run reports all of them. A failing gate's
# output is printed (indented) above its verdict. Exit status: 0 when every gate and suite
# passed, 1 when any failed, 2 on bad usage. Tools come from the project's venv (`make setup`
# creates it); KUBEXM_VENV points elsewhere (the gate tests use it on a temporary tree).
#
# The e2e suite (`pytest tests/e2e -m lab`) needs root and the lab prerequisites. As root,
# scripts/lab-prereqs.sh installs them before the unit tests (the sshd tests need them too). With
# CI=true or KUBEXM_LAB=1 the suite is required; otherwise it is skipped with the reason when a
# tool is missing. KUBEXM_LAB=0 always skips it and installs nothing.
# Pytest's "no tests collected" (exit 5) is a failure: a suite that ran nothing proves nothing.
set -u -o pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2
venv="${KUBEXM_VENV:-$root/.venv}"
bin="$venv/bin"
lab_tools=(systemd-nspawn debootstrap ssh ip)

mode=all
case "${1:-}" in
    "") ;;
    --gates-only) mode=gates ;;
    --tests-only) mode=tests ;;
    *) echo "usage: $0 [--gates-only|--tests-only]" >&2; exit 2 ;;
esac

if [ ! -x "$bin/python" ]; then
    echo "FAIL setup (no virtualenv at $venv; run: make setup)"
    exit 1
fi

verdicts=()
failures=0

verdict() { # verdict PASS|FAIL|SKIP NAME [DETAIL]
    local line="$1 $2"
    [ -n "${3:-}" ] && line="$line ($3)"
    echo "$line"
    verdicts+=("$line")
    [ "$1" = FAIL ] && failures=$((failures + 1))
    return 0
}

# Count helpers: each reads a failed tool's output on stdin and prints the verdict detail.
count_reformat() { grep -oE '[0-9]+ files? would be reformatted' | tail -1 || true; }
count_errors() { grep -oE 'Found [0-9]+ errors?' | tail -1 | sed 's/Found //' || true; }
count_contracts() {
    local out n
    out="$(cat)"
    n="$(grep -oE '[0-9]+ broken' <<<"$out" | tail -1 || true)"
    if [ -n "$n" ]; then
        echo "$n"
    else
        echo "did not run: $(grep -vE '^[[:space:]]*$' <<<"$out" | tail -1)"
    fi
}
count_findings() {
    local n
    n="$(grep -cE '^[^ ]+:[0-9]+: ' || true)"
    if [ "$n" = 1 ]; then echo "1 finding"; else echo "$n findings"; fi
}

gate() { # gate NAME COUNTER COMMAND...
    local name="$1" counter="$2" out rc detail
    shift 2
    out="$("$@" 2>&1)"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        verdict PASS "$name"
        return
    fi
    printf '%s\n' "$out" | sed 's/^/    /'
    detail="$(printf '%s\n' "$out" | "$counter")"
    verdict FAIL "$name" "${detail:-exit $rc}"
}

run_gates() {
    gate "ruff format" count_reformat "$bin/ruff" format --check --output-format concise .
    gate "ruff check" count_errors "$bin/ruff" check --no-fix --output-format concise .
    gate "mypy" count_errors "$bin/mypy" --strict kubexm
    gate "import contracts" count_contracts "$bin/lint-imports" --no-logo --no-cache
    gate "size budgets" count_findings "$bin/python" scripts/check_budgets.py
    gate "layer rules" count_findings "$bin/python" scripts/check_rules.py
}

suite() { # suite NAME PYTEST-ARGS...
    local name="$1" log rc summary
    shift
    log="$(mktemp)"
    "$bin/pytest" "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summary="$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1 | sed -E 's/^=+ //; s/ =+$//')"
    rm -f "$log"
    case "$rc" in
        0) verdict PASS "$name" "$summary" ;;
        5) verdict FAIL "$name" "no tests collected" ;;
        *) verdict FAIL "$name" "${summary:-pytest exit $rc}" ;;
    esac
}

lab_required() { [ "${CI:-}" = true ] || [ "${KUBEXM_LAB:-}" = 1 ]; }

run_e2e() {
    local name="e2e lab tests" missing=() tool
    if [ "${KUBEXM_LAB:-}" = 0 ]; then
        verdict SKIP "$name" "KUBEXM_LAB=0"
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        verdict SKIP "$name" "not root"
        return
    fi
    if lab_required; then
        if [ ! -f scripts/lab-prereqs.sh ]; then
            verdict FAIL "lab prerequisites" "scripts/lab-prereqs.sh missing"
            return
        fi
        if ! bash scripts/lab-prereqs.sh; then
            verdict FAIL "lab prerequisites" "scripts/lab-prereqs.sh failed"
            return
        fi
    fi
    for tool in "${lab_tools[@]}"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [ ! -d tests/e2e ]; then
        missing+=("tests/e2e")
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        local status=SKIP
        lab_required && status=FAIL
        verdict "$status" "$name" "missing: ${missing[*]}"
        return
    fi
    suite "$name" tests/e2e -m lab
}

if [ "$mode" != tests ]; then
    run_gates
fi
# The sshd-marked unit tests and the lab need Debian packages; as root, install them first so
# one `make check` runs everything (lab-prereqs.sh is idempotent and quick when all present).
install_prereqs() {
    [ "$(id -u)" -eq 0 ] && [ "${KUBEXM_LAB:-}" != 0 ] && [ -f scripts/lab-prereqs.sh ] || return 0
    bash scripts/lab-prereqs.sh || verdict FAIL "lab prerequisites" "scripts/lab-prereqs.sh failed"
}

if [ "$mode" != gates ]; then
    install_prereqs
    suite "unit tests" tests/unit
    run_e2e
fi

echo
echo "summary:"
printf '  %s\n' "${verdicts[@]}"
if [ "$failures" -gt 0 ]; then
    echo "check: $failures failed"
    exit 1
fi
echo "check: all passed"

#!/usr/bin/env bash
# Odoo's own test suites of the modules this addon touches, run with and
# without sale_fulfilment installed, and compared test by test.
#
#   scripts/odoo_suites.sh [--modules stock,mrp,...] [--jobs 1] [-k EXPR]
#                          [--modes plain,hooks] [--rebuild] [--no-http]
#                          [--test-timeout 600] [--max-minutes M] [--note TEXT] [--no-md]
#                          [-- PYTEST_ARGS...]
#
# Two databases, copied from scripts/test.sh's template (Odoo's modules
# sale_management, sale_mrp, purchase_stock, mrp_subcontracting_purchase with
# demo data) plus whichever requested module is not installed yet:
#   sf_suites_odoo   Odoo's modules only
#   sf_suites_addon  the same, plus sale_fulfilment (with its demo data)
# They are built once and reused (--rebuild builds them anew); the addon copy
# is updated (-u sale_fulfilment) when the addon's files changed.
#
# Each requested module's tests ($ODOO_SRC/addons/<module>/tests) run through
# pytest-odoo, with the full registry loaded (so the addon's code is active in
# every test, at_install ones included), on each database in two modes:
#   plain  as Odoo's runner would run them;
#   hooks  after each TransactionCase test method, the transaction's precommit
#          hooks run (env.cr.flush(), what a commit runs first; Odoo's tests
#          never commit), see scripts/odoo_suites_plugin.py.
# HttpCase tests (tours) run in headless Chromium (--odoo-http); --no-http
# skips them in every run alike.
#
# The addon is tested as a snapshot of the working tree taken at the start
# (git's tracked and untracked files), so that edits made during the run do
# not reach one run and not another.
#
# --max-minutes M interrupts each pytest run after M minutes (as Ctrl+C would:
# pytest still writes its report of the tests done so far); tests that ran in
# only one of the two databases are then counted apart, not compared.
#
# Raw outputs (junit XML, pytest logs) go to $CACHE/odoo_suites/<date>/; the
# summary is printed and written to scripts/ODOO_SUITES.md (--no-md: not).
# It exits 0 whatever the tests do, and ends with the verdict line
#   NEW FAILURES WITH THE ADDON: N
# (N: tests failing, in some mode, with the addon and not without it).
# It exits non-zero only when it could not run the suites.
ALL_MODULES=stock,mrp,sale_stock,purchase_stock,sale_mrp,mrp_subcontracting,mrp_subcontracting_purchase,purchase_mrp,stock_account,mrp_account
MODULES=$ALL_MODULES
JOBS=1
MODES=plain,hooks
KEXPR=
REBUILD=
HTTP=1
TEST_TIMEOUT=600
MAX_MINUTES=
NOTE=
WRITE_MD=1
EXTRA=()
ARGS=("$@")
usage() { sed -n '2,/^ALL_MODULES/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --modules) MODULES=${2:?--modules needs a value}; shift 2 ;;
        --modules=*) MODULES=${1#*=}; shift ;;
        --jobs) JOBS=${2:?--jobs needs a value}; shift 2 ;;
        --jobs=*) JOBS=${1#*=}; shift ;;
        -k) KEXPR=${2?-k needs a value}; shift 2 ;;
        -k=*) KEXPR=${1#*=}; shift ;;
        --modes) MODES=${2:?--modes needs a value}; shift 2 ;;
        --modes=*) MODES=${1#*=}; shift ;;
        --rebuild) REBUILD=1; shift ;;
        --no-http) HTTP=; shift ;;
        --test-timeout) TEST_TIMEOUT=${2:?}; shift 2 ;;
        --test-timeout=*) TEST_TIMEOUT=${1#*=}; shift ;;
        --max-minutes) MAX_MINUTES=${2:?}; shift 2 ;;
        --max-minutes=*) MAX_MINUTES=${1#*=}; shift ;;
        --note) NOTE=${2?}; shift 2 ;;
        --note=*) NOTE=${1#*=}; shift ;;
        --no-md) WRITE_MD=; shift ;;
        -h|--help) usage ;;
        --) shift; EXTRA=("$@"); break ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done
case $JOBS in ''|*[!0-9]*|0) echo "--jobs needs a positive number" >&2; exit 2 ;; esac
for mode in ${MODES//,/ }; do
    case $mode in plain|hooks) ;; *) echo "unknown mode: $mode (plain, hooks)" >&2; exit 2 ;; esac
done

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
prepare

for module in ${MODULES//,/ }; do
    [ -d "$ODOO_SRC/addons/$module/tests" ] || die "no tests folder for module $module in $ODOO_SRC/addons"
done

SUITES=$CACHE/odoo_suites
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
OUT=$SUITES/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
ln -sfn "$OUT" "$SUITES/latest"
DB_ODOO=sf_suites_odoo
DB_ADDON=sf_suites_addon

# ---------------------------------------------------------------------------
# The addon, as a snapshot of the working tree, and a config that points at it
# ---------------------------------------------------------------------------
SNAP_DIR=$SUITES/addons
SNAP=$SNAP_DIR/sale_fulfilment
rm -rf "$SNAP.new"
mkdir -p "$SNAP.new"
(cd "$REPO" && git ls-files -co --exclude-standard -- ':!bench' \
    | while IFS= read -r f; do if [ -f "$f" ]; then printf '%s\n' "$f"; fi; done \
    | tar -cf - -T - | tar -xf - -C "$SNAP.new")
rm -rf "$SNAP"
mv "$SNAP.new" "$SNAP"
# What an update would change: everything but the tests and the docs.
ADDON_STAMP=$(cd "$SNAP" && find . -type f ! -path './tests/*' ! -path './scripts/*' ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 cat | cksum | cut -d' ' -f1)
ADDON_REV=$(git -C "$REPO" rev-parse --short HEAD)
ADDON_DIRTY=$(git -C "$REPO" status --porcelain -- . ':!scripts' ':!bench' | awk '{print $NF}' | paste -sd' ' -)
SUITES_CONF=$SUITES/odoo.conf
sed "s|^addons_path = .*|addons_path = $SNAP_DIR,$ODOO_SRC/addons|" "$ODOO_CONF" > "$SUITES_CONF"
suites_odoo() { python "$ODOO_SRC/odoo-bin" -c "$SUITES_CONF" "$@"; }

# ---------------------------------------------------------------------------
# The databases
# ---------------------------------------------------------------------------
# The same template scripts/test.sh builds.
ensure_template_db "$SNAP/__manifest__.py"

missing_modules() {  # the requested modules not installed in database $1
    local db=$1 m out=()
    for m in ${MODULES//,/ }; do module_installed "$db" "$m" || out+=("$m"); done
    (IFS=,; echo "${out[*]}")
}

copy_template() {
    local db=$1 try
    "$PGBIN/dropdb" --if-exists --force "$db"
    for try in 1 2 3 4 5 6; do  # the template may be in use for a moment by another copy
        "$PGBIN/createdb" -T "$BASE" "$db" 2>"$OUT/createdb.err" && break
        [ "$try" = 6 ] && die "could not copy $BASE into $db: $(cat "$OUT/createdb.err")"
        sleep 10
    done
    rm -rf "$CACHE/data/filestore/$db"
    if [ -d "$CACHE/data/filestore/$BASE" ]; then
        mkdir -p "$CACHE/data/filestore"
        cp -r "$CACHE/data/filestore/$BASE" "$CACHE/data/filestore/$db"
    fi
    echo "$BASE" > "$SUITES/$db.base"
}

db_current() {  # database $1 exists, was copied from the current template, and is complete
    module_installed "$1" "${DEPENDS##*,}" && [ "$(cat "$SUITES/$1.base" 2>/dev/null)" = "$BASE" ]
}

if [ -n "$REBUILD" ] || ! db_current "$DB_ODOO"; then
    say "Building $DB_ODOO: a copy of $BASE"
    copy_template "$DB_ODOO"
fi
if [ -n "$REBUILD" ] || ! db_current "$DB_ADDON" || ! module_installed "$DB_ADDON" sale_fulfilment; then
    say "Building $DB_ADDON: a copy of $BASE, then sale_fulfilment"
    rm -f "$SUITES/$DB_ADDON.stamp"
    copy_template "$DB_ADDON"
    # Odoo's modules first, as in the other database, then the addon.
    missing=$(missing_modules "$DB_ADDON")
    if [ -n "$missing" ]; then
        say "Installing $missing into $DB_ADDON"
        suites_odoo -d "$DB_ADDON" -i "$missing" --stop-after-init --log-level=warn
    fi
    suites_odoo -d "$DB_ADDON" -i sale_fulfilment --stop-after-init --log-level=warn
    module_installed "$DB_ADDON" sale_fulfilment || die "sale_fulfilment did not install in $DB_ADDON"
    echo "$ADDON_STAMP" > "$SUITES/$DB_ADDON.stamp"
fi
for db in "$DB_ODOO" "$DB_ADDON"; do
    missing=$(missing_modules "$db")
    if [ -n "$missing" ]; then
        say "Installing $missing into $db"
        suites_odoo -d "$db" -i "$missing" --stop-after-init --log-level=warn
        [ -z "$(missing_modules "$db")" ] || die "could not install $missing into $db"
    fi
done
if [ "$(cat "$SUITES/$DB_ADDON.stamp" 2>/dev/null)" != "$ADDON_STAMP" ]; then
    say "The addon changed: updating it in $DB_ADDON"
    suites_odoo -d "$DB_ADDON" -u sale_fulfilment --stop-after-init --log-level=warn
    echo "$ADDON_STAMP" > "$SUITES/$DB_ADDON.stamp"
fi
module_installed "$DB_ODOO" sale_fulfilment && die "$DB_ODOO has sale_fulfilment installed; run with --rebuild"

# ---------------------------------------------------------------------------
# The runs: each database, each mode, one pytest process over every module
# ---------------------------------------------------------------------------
if [ -n "$HTTP" ] && [ -z "${CHROME_BIN:-}" ] && ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null; then
    say "No Chromium found: HttpCase tests (tours) will fail alike in both databases; --no-http skips them"
fi
TEST_DIRS=()
for module in ${MODULES//,/ }; do TEST_DIRS+=("$ODOO_SRC/addons/$module/tests"); done
RUN_DIR=$OUT/run
mkdir -p "$RUN_DIR"

run_suite() {  # run_suite NAME DB MODE
    local name=$1 db=$2 mode=$3 status=0 start end
    local args=(-p no:cacheprovider -p odoo_suites_plugin --rootdir="$ODOO_SRC/addons"
        --odoo-database="$db" --odoo-config="$SUITES_CONF" --junitxml="$OUT/$name.xml"
        -o junit_logging=no -o junit_duration_report=call -q -rfE --test-timeout="$TEST_TIMEOUT")
    [ -n "$HTTP" ] && args+=(--odoo-http)
    [ "$mode" = hooks ] && args+=(--commit-hooks)
    [ -n "$KEXPR" ] && args+=(-k "$KEXPR")
    local limit=()
    # SIGINT: pytest stops as on Ctrl+C and still writes the junit report.
    [ -n "$MAX_MINUTES" ] && limit=(timeout -s INT -k 120 "$((MAX_MINUTES * 60))")
    start=$(date +%s)
    (cd "$RUN_DIR" && PYTHONPATH="$REPO/scripts${PYTHONPATH:+:$PYTHONPATH}" \
        "${limit[@]}" python -m pytest "${args[@]}" "${EXTRA[@]}" "${TEST_DIRS[@]}") >"$OUT/$name.log" 2>&1 || status=$?
    end=$(date +%s)
    printf 'status=%s\nseconds=%s\n' "$status" "$((end - start))" > "$OUT/$name.run"
    printf '  %-14s done in %ss (pytest exit %s), log: %s\n' "$name" "$((end - start))" "$status" "$OUT/$name.log" >&2
}

say "Running the tests of $MODULES (modes: $MODES; jobs: $JOBS) into $OUT"
START_ALL=$(date +%s)
for mode in ${MODES//,/ }; do
    for side in odoo addon; do
        db=$DB_ODOO
        [ "$side" = addon ] && db=$DB_ADDON
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
        say "  $side-$mode on $db"
        run_suite "$side-$mode" "$db" "$mode" &
    done
done
wait
WALL=$(( $(date +%s) - START_ALL ))

# ---------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------
COMMAND="scripts/odoo_suites.sh"
for a in "${ARGS[@]}"; do
    case $a in *[!A-Za-z0-9_,./=:-]*|'') COMMAND+=" '${a//\'/\'\\\'\'}'" ;; *) COMMAND+=" $a" ;; esac
done
export SUITES_CACHE=$CACHE SUITES_OUT=$OUT SUITES_MODULES=$MODULES SUITES_ALL_MODULES=$ALL_MODULES SUITES_MODES=$MODES \
    SUITES_COMMAND=$COMMAND SUITES_STARTED=$STARTED SUITES_WALL=$WALL SUITES_JOBS=$JOBS \
    SUITES_KEXPR=$KEXPR SUITES_HTTP=$HTTP SUITES_NOTE=$NOTE SUITES_BASE=$BASE \
    SUITES_ADDON_REV=$ADDON_REV SUITES_ADDON_DIRTY=$ADDON_DIRTY SUITES_EXTRA="${EXTRA[*]}" \
    SUITES_TIMEOUT=$TEST_TIMEOUT SUITES_MAX_MINUTES=$MAX_MINUTES SUITES_DB_ODOO=$DB_ODOO SUITES_DB_ADDON=$DB_ADDON
SUITES_INSTALLED=$("$PGBIN/psql" -X -tAc "SELECT count(*) FROM ir_module_module WHERE state = 'installed'" -d "$DB_ODOO")
SUITES_ODOO_VERSION=$(sed -n 's/^serie = .*"\(.*\)".*/\1/p; s/^version_info = (\([0-9]*\), \([0-9]*\).*/\1.\2/p' "$ODOO_SRC/odoo/release.py" | head -n 1)
SUITES_CPU="$(nproc) vCPU ($(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GB RAM"
export SUITES_INSTALLED SUITES_ODOO_VERSION SUITES_CPU
python - <<'PY' | tee "$OUT/summary.md"
import os
import xml.etree.ElementTree as ET

env = os.environ
out = env["SUITES_OUT"]
modules = env["SUITES_MODULES"].split(",")
all_modules = env["SUITES_ALL_MODULES"].split(",")
modes = env["SUITES_MODES"].split(",")
sides = ["odoo", "addon"]
BAD = ("failed", "error")
RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def first_lines(element, limit=5):
    """The exception lines of a failure: the first lines of each of pytest's
    blocks of 'E   ' lines (one block per exception of a chain), else the message."""
    text = element.text or ""
    blocks, block = [], []
    for line in text.splitlines():
        if line.startswith("E ") or line == "E":
            block.append(line[1:].strip())
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    lines = []
    for block in blocks:
        block = [line for line in block if line]
        # the first block (the root cause) gets three lines, the others one
        for line in block[: 3 if not lines else 1]:
            if line not in lines:
                lines.append(line)
    if not lines:
        lines = [line.strip() for line in (element.get("message") or "").splitlines() if line.strip()]
    if len(lines) > limit:
        lines = lines[: limit - 1] + [lines[-1]]
    return [line[:300] for line in lines]


PENDING = {}  # run name: {test id: names of the precommit hooks pending after it}
COLLECTED = {}  # run name: {module: tests collected}


def load(name):
    """{test id: (outcome, first lines)} of one run, or None when it has no report."""
    path = os.path.join(out, name + ".xml")
    if not os.path.exists(path):
        return None
    results = {}
    pending = PENDING.setdefault(name, {})
    root = ET.parse(path).getroot()
    collected = COLLECTED.setdefault(name, {})
    for suite in root.iter("testsuite"):
        for prop in suite.findall("./properties/property"):
            if (prop.get("name") or "").startswith("collected:"):
                collected[prop.get("name").split(":", 1)[1]] = int(prop.get("value"))
    for case in root.iter("testcase"):
        classname = case.get("classname") or ""
        if classname.startswith("odoo.addons."):
            classname = classname[len("odoo.addons."):]
        test_id = f"{classname}::{case.get('name')}"
        for prop in case.iter("property"):
            if prop.get("name") == "precommit":
                pending[test_id] = (prop.get("value") or "").split()
        outcome, lines = "passed", []
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                kind = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                if RANK[kind] > RANK[outcome]:
                    outcome = kind
                    lines = first_lines(child) if kind in BAD else [child.get("message") or ""]
        old = results.get(test_id)
        if old is None or RANK[outcome] > RANK[old[0]]:
            results[test_id] = (outcome, lines)
    return results


def run_info(name):
    info = {}
    try:
        with open(os.path.join(out, name + ".run")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                info[key] = value
    except OSError:
        pass
    return info


def module_of(test_id):
    return test_id.split(".", 1)[0]


runs = {(side, mode): load(f"{side}-{mode}") for side in sides for mode in modes}
p = print
p("# Odoo's own test suites, with and without sale_fulfilment")
p()
p(f"- Date: {env['SUITES_STARTED']} (UTC); wall time of the test runs: {int(env['SUITES_WALL']) // 60} min {int(env['SUITES_WALL']) % 60} s")
p(f"- Command: `{env['SUITES_COMMAND']}`")
p(f"- Machine: {env['SUITES_CPU']}; parallel runs: {env['SUITES_JOBS']}")
p(f"- Odoo {env['SUITES_ODOO_VERSION']} (Community); databases `{env['SUITES_DB_ODOO']}` (a copy of `{env['SUITES_BASE']}`: "
  f"{env['SUITES_INSTALLED']} modules installed with demo data, all ten suite modules among them) and "
  f"`{env['SUITES_DB_ADDON']}` (the same plus sale_fulfilment with its demo data)")
dirty = env.get("SUITES_ADDON_DIRTY", "")
p(f"- sale_fulfilment: commit {env['SUITES_ADDON_REV']}" + (f" plus uncommitted changes to {dirty}" if dirty else "") +
  " (a snapshot of the working tree taken at the start)")
p(f"- Modules run: {', '.join(modules)}")
not_run = [m for m in all_modules if m not in modules]
p(f"- Modules not run: {', '.join(not_run) if not_run else 'none'}")
selection = []
if env.get("SUITES_KEXPR"):
    selection.append(f"only tests matching `-k {env['SUITES_KEXPR']}`")
if env.get("SUITES_EXTRA"):
    selection.append(f"extra pytest arguments `{env['SUITES_EXTRA']}`")
selection.append("HttpCase tests (tours) run in headless Chromium" if env.get("SUITES_HTTP")
                 else "HttpCase tests (tours) skipped in every run (--no-http)")
selection.append(f"a test is interrupted after {env['SUITES_TIMEOUT']} s")
if env.get("SUITES_MAX_MINUTES"):
    selection.append(f"each run is interrupted after {env['SUITES_MAX_MINUTES']} min")
p(f"- Selection: {'; '.join(selection)}")
p("- How: pytest-odoo with the full registry loaded (at_install tests too run with every installed module's code), "
  "every `test_*.py` of `$ODOO_SRC/addons/<module>/tests`. Modes: *plain*; *hooks*: after each "
  "TransactionCase test method the transaction's precommit hooks run (`env.cr.flush()`, what a commit runs "
  "first), and an exception there fails the test (scripts/odoo_suites_plugin.py)")
if env.get("SUITES_NOTE"):
    p(f"- Note: {env['SUITES_NOTE']}")
# The cache folder by name, not this machine's path: the file is committed.
p(f"- Raw outputs: `{out.replace(env['SUITES_CACHE'], '$SALE_FULFILMENT_CACHE')}`")
p()

p("## Counts")
p()
p("| module | mode | database | passed | failed | error | skipped | not run | collected |")
p("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for module in modules:
    for mode in modes:
        for side in sides:
            results = runs[(side, mode)]
            db = env["SUITES_DB_ODOO"] if side == "odoo" else env["SUITES_DB_ADDON"]
            if results is None:
                p(f"| {module} | {mode} | {db} | no report | | | | | |")
                continue
            counts = dict.fromkeys(RANK, 0)
            for test_id, (outcome, _) in results.items():
                if module_of(test_id) == module:
                    counts[outcome] += 1
            total = sum(counts.values())
            collected = COLLECTED.get(f"{side}-{mode}", {}).get(module, total)
            p(f"| {module} | {mode} | {db} | {counts['passed']} | {counts['failed']} | {counts['error']} "
              f"| {counts['skipped']} | {collected - total} | {collected} |")
p()
p("Runs (pytest exit status, duration):")
p()
for mode in modes:
    for side in sides:
        info = run_info(f"{side}-{mode}")
        s = int(info.get("seconds", 0) or 0)
        status = info.get("status", "?")
        if status in ("124", "137"):
            status += f" (interrupted by --max-minutes {env.get('SUITES_MAX_MINUTES')})"
        p(f"- {side}-{mode}: exit {status}, {s // 60} min {s % 60} s, `{side}-{mode}.log`, `{side}-{mode}.xml`")
for mode in modes:
    o, a = runs[("odoo", mode)], runs[("addon", mode)]
    if o is None or a is None:
        continue
    only_o, only_a = len(set(o) - set(a)), len(set(a) - set(o))
    if only_o or only_a:
        p()
        p(f"**{mode}: {only_o} tests ran only without the addon, {only_a} only with it** "
          "(a run interrupted or stopped early): they are not compared.")
if "hooks" in modes:
    p()
    p("Commit-time hooks (hooks mode): tests after which precommit hooks were pending, and ran:")
    p()
    for side in sides:
        pending = PENDING.get(f"{side}-hooks", {})
        with_any = sum(1 for names in pending.values() if names)
        with_addon = sum(1 for names in pending.values() if any(n.startswith("sale_fulfilment:") for n in names))
        p(f"- {side}: after {with_any} of the {len(pending)} TransactionCase tests whose method completed"
          + (f", sale_fulfilment's after {with_addon}" if side == "addon" else ""))
missing = [f"{side}-{mode}" for (side, mode), r in runs.items() if r is None]
if missing:
    p()
    p(f"**No junit report for: {', '.join(missing)}** (see their logs): those runs count as not run.")
p()


def diff(bad_side, good_side):
    """{(mode, test id): lines} failing in bad_side and not in good_side."""
    found = {}
    for mode in modes:
        bad, good = runs[(bad_side, mode)], runs[(good_side, mode)]
        if bad is None or good is None:
            continue
        for test_id, (outcome, lines) in bad.items():
            # a test that did not run in the other database is not compared
            if test_id in good and outcome in BAD and good[test_id][0] not in BAD:
                found[(mode, test_id)] = (outcome, good[test_id][0], lines)
    return found


def show(found, title, bad_label, good_label):
    tests = sorted({test_id for _, test_id in found})
    p(f"## {title} ({len(tests)})")
    p()
    if not tests:
        p("None.")
        p()
        return tests
    for test_id in tests:
        in_modes = [mode for mode in modes if (mode, test_id) in found]
        p(f"- `{test_id}` ({', '.join(in_modes)}"
          + ("" if len(in_modes) == len(modes) else
             f"; not in {', '.join(m for m in modes if m not in in_modes)}") + ")")
        shown = set()
        for mode in in_modes:
            outcome, other, lines = found[(mode, test_id)]
            key = tuple(lines)
            if key in shown:
                continue
            shown.add(key)
            p(f"  - {mode}: {outcome} {bad_label}, {other} {good_label}:")
            p("    ```")
            for line in lines:
                p(f"    {line}")
            p("    ```")
    p()
    return tests


new = diff("addon", "odoo")
gone = diff("odoo", "addon")
new_tests = show(new, "Tests that fail only with the addon", "with the addon", "without")
gone_tests = show(gone, "Tests that fail only without the addon", "without the addon", "with it")

both = {}
for mode in modes:
    a, o = runs[("addon", mode)], runs[("odoo", mode)]
    if a is None or o is None:
        continue
    for test_id, (outcome, lines) in o.items():
        if outcome in BAD and a.get(test_id, ("absent",))[0] in BAD:
            both.setdefault(test_id, []).append(mode)
p(f"## Tests that fail in both databases ({len(both)})")
p()
if not both:
    p("None.")
for test_id in sorted(both):
    p(f"- `{test_id}` ({', '.join(both[test_id])})")
p()
by_mode = {mode: sum(1 for (m, _) in new if m == mode) for mode in modes}
p(f"NEW FAILURES WITH THE ADDON: {len(new_tests)} ("
  + ", ".join(f"{mode}: {n}" for mode, n in by_mode.items()) + ")"
  + ("" if not missing else f"; incomplete: no report for {', '.join(missing)}"))
PY
if [ -n "$WRITE_MD" ]; then
    cp "$OUT/summary.md" "$REPO/scripts/ODOO_SUITES.md"
    say "Summary written to scripts/ODOO_SUITES.md (raw outputs in $OUT)"
fi
exit 0

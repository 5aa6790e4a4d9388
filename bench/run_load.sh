#!/usr/bin/env bash
# Load benchmark: many users at once, Odoo alone against Odoo with
# sale_fulfilment, on real Odoo servers. See bench/LOAD.md.
#
#   bench/run_load.sh [--clients 6] [--products 6] [--duration 90] [--workers 4]
#                     [--stock 100] [--single 60] [--rounds 3] [--port 8269] [--seed 1]
#
# Recreates two databases from the template database scripts/test.sh keeps
# (sf_base_*): sf_load_odoo (Odoo alone) and sf_load_addon (sale_fulfilment
# installed, with its demo data), and seeds both alike through the ORM. Starts
# one Odoo server for each (prefork, --workers, crons off) on 127.0.0.1:--port
# and --port + 2, and warms both up. Then one client confirms --single orders
# on each, one on each database in turn; then --clients clients run the mix
# for --duration seconds per database, in --rounds rounds, one database at a
# time, in the order odoo-addon, addon-odoo, odoo-addon...: so that a machine
# that slows down or speeds up during the run weighs on both alike. Then
# compares the addon's stored statuses and figures with a full rebuild (rolled
# back) and prints the table. Exits 0 when a target is missed (it prints MISSED);
# non-zero when the run itself could not be made. About 6 minutes with the
# defaults on 2 cores.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

CLIENTS=6
PRODUCTS=6
DURATION=90
WORKERS=4
STOCK=100
SINGLE=60
ROUNDS=3
PORT=8269
SEED=1
while [ $# -gt 0 ]; do
    case "$1" in
        --clients | --products | --duration | --workers | --stock | --single | --rounds | --port | --seed)
            [ $# -ge 2 ] || die "$1 needs a value"
            name=${1#--}
            printf -v "${name^^}" '%s' "$2"
            shift
            ;;
        -h | --help)
            sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
for value in "$CLIENTS" "$PRODUCTS" "$DURATION" "$WORKERS" "$SINGLE" "$ROUNDS" "$PORT" "$SEED"; do
    [[ "$value" =~ ^[0-9]+$ ]] || die "expected a whole number, got $value"
done
[ "$PRODUCTS" -ge 2 ] || die "--products must be at least 2 (orders have 2 lines)"
[ "$ROUNDS" -ge 1 ] || die "--rounds must be at least 1"
[ "$SINGLE" -ge 1 ] || die "--single must be at least 1"

prepare

ODOO_DB=sf_load_odoo
ADDON_DB=sf_load_addon
OUT=$CACHE/load
LOAD=(python "$REPO/bench/load.py")
rm -rf "$OUT"
mkdir -p "$OUT/odoo" "$OUT/addon"

# ----------------------------------------------------------------------
# Servers: one per database, both up for the whole measurement (the one not
# driven idles); whatever this script started is stopped on exit.
declare -A DB_OF=([odoo]=$ODOO_DB [addon]=$ADDON_DB)
declare -A PORT_OF=([odoo]=$PORT [addon]=$((PORT + 2)))
declare -A PID_OF=()
url_of() { echo "http://127.0.0.1:${PORT_OF[$1]}"; }

stop_server() {
    local mode=$1 pid children
    pid=${PID_OF[$mode]:-}
    [ -n "$pid" ] || return 0
    PID_OF[$mode]=
    if kill -0 "$pid" 2>/dev/null; then
        children=$(pgrep -P "$pid" || true)
        # SIGTERM: Odoo's prefork server lets its workers finish their request.
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "Odoo (pid $pid) did not stop within 30 s: killing it and its workers"
            # shellcheck disable=SC2086
            kill -KILL "$pid" $children 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# Every step runs under a time limit, in the background so that the script
# reacts to a signal at once, and is stopped with the script.
PHASE_PID=
bounded() {
    local limit=$1 status=0
    shift
    # --foreground: the step stays in the script's process group, so that a
    # Ctrl+C or a signal to the group reaches it too.
    timeout --foreground --kill-after=10 "$limit" "$@" &
    PHASE_PID=$!
    wait "$PHASE_PID" || status=$?
    PHASE_PID=
    return "$status"
}

cleanup() {
    if [ -n "$PHASE_PID" ]; then
        kill -TERM "$PHASE_PID" 2>/dev/null || true
        wait "$PHASE_PID" 2>/dev/null || true
    fi
    stop_server odoo
    stop_server addon
}
trap cleanup EXIT

port_free() {
    python - "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    s.settimeout(1)
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) else 1)
PY
}

for port in "$PORT" $((PORT + 1)) $((PORT + 2)) $((PORT + 3)); do
    port_free "$port" || die "127.0.0.1:$port is in use: choose another --port (it uses 4 from it)"
done

start_server() {
    local mode=$1 db=${DB_OF[$1]} port=${PORT_OF[$1]} log=$OUT/$1/odoo.log
    say "Odoo on $(url_of "$mode") for $db: $WORKERS workers, no cron (log: \$SALE_FULFILMENT_CACHE${log#"$CACHE"})"
    # Not through odoo_bin: $! must be Odoo's own pid to stop it.
    python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$db" --db-filter="^$db\$" \
        --workers="$WORKERS" --max-cron-threads=0 \
        --http-interface=127.0.0.1 --http-port="$port" --gevent-port=$((port + 1)) \
        --logfile="$log" --log-level=info --log-handler=werkzeug:WARNING \
        --log-handler=odoo.addons.sale_fulfilment.models.sale_fulfilment_rebook:DEBUG \
        --log-handler=odoo.addons.sale_fulfilment.models.sale_fulfilment_booking:DEBUG &
    PID_OF[$mode]=$!
    bounded 120 "${LOAD[@]}" wait --url "$(url_of "$mode")" --timeout 90 \
        || die "Odoo did not answer on $(url_of "$mode"); see $log"
}

# ----------------------------------------------------------------------
# The template database (Odoo's modules with their demo data), as scripts/test.sh.
template_db_name
if db_exists "$BASE" && ! module_installed "$BASE" "${DEPENDS##*,}"; then
    # scripts/test.sh is probably creating it right now: wait, never drop it.
    say "Waiting for the template database $BASE (being created, up to 20 minutes)"
    for _ in $(seq 240); do
        module_installed "$BASE" "${DEPENDS##*,}" && break
        db_exists "$BASE" || break
        sleep 5
    done
fi
if ! db_exists "$BASE"; then
    say "Installing Odoo's modules ($DEPENDS) into the template database $BASE (once, minutes)"
    bounded 1800 python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BASE" -i "$DEPENDS" \
        --stop-after-init --log-level=warn
fi
module_installed "$BASE" "${DEPENDS##*,}" || die "the template database $BASE is incomplete; run scripts/test.sh"

copy_template() {
    local db=$1 try
    "$PGBIN/dropdb" --if-exists --force "$db"
    rm -rf "$CACHE/data/filestore/$db"
    for try in 1 2 3 4 5 6; do
        # Fails while someone else copies the template at the same moment.
        "$PGBIN/createdb" -T "$BASE" "$db" && break
        [ "$try" = 6 ] && die "could not copy the template database $BASE"
        sleep 5
    done
    if [ -d "$CACHE/data/filestore/$BASE" ]; then
        cp -r "$CACHE/data/filestore/$BASE" "$CACHE/data/filestore/$db"
    fi
}

# Which code of the addon is measured: the commit, and whether the working tree
# differs from it (the addon is installed from the working tree).
ADDON_VERSION=$(git -C "$REPO" log -1 --format='commit %h (%cd)' --date=format:'%Y-%m-%d %H:%M' 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null)" ]; then
    ADDON_VERSION="$ADDON_VERSION with uncommitted changes"
fi

say "Databases $ODOO_DB and $ADDON_DB: copies of $BASE"
copy_template "$ODOO_DB"
copy_template "$ADDON_DB"
# With its demo data: Odoo installs a module's demo data into a database that
# has demo data (the template's), whatever --without-demo says. The addon's
# demo is a handful of orders, MOs and POs on products of its own; the load
# runs on the seeded products only, on both databases.
say "Installing sale_fulfilment into $ADDON_DB"
bounded 900 python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$ADDON_DB" -i sale_fulfilment \
    --stop-after-init --log-level=warn \
    || die "sale_fulfilment could not be installed into $ADDON_DB"
say "Seeding both: $PRODUCTS products with $STOCK units each, 3 customers, admin/admin"
for db in "$ODOO_DB" "$ADDON_DB"; do
    bounded 300 "${LOAD[@]}" seed -c "$ODOO_CONF" -d "$db" --products "$PRODUCTS" --stock "$STOCK" \
        || die "seeding $db failed"
done

# ----------------------------------------------------------------------
# The same phases, the same random choices (seeded by the phase's name), on both.
drive() {
    local mode=$1 phase=$2 limit=$3
    shift 3
    bounded "$limit" "${LOAD[@]}" drive --url "$(url_of "$mode")" --db "${DB_OF[$mode]}" \
        --mode "$mode" --phase "$phase" --seed "$SEED" --server-pid "${PID_OF[$mode]}" \
        --log "$OUT/$mode/odoo.log" --out "$OUT/$mode/$phase.json" "$@" \
        || die "the $phase phase on ${DB_OF[$mode]} failed (server log: $OUT/$mode/odoo.log)"
}

start_server odoo
start_server addon
for mode in odoo addon; do
    say "${DB_OF[$mode]}: warm-up ($CLIENTS clients, 2 confirmations each: every worker loads its registry)"
    drive "$mode" warmup 300 --clients "$CLIENTS" --iterations 2
done
DURATION_ROUND=$(python -c "print($DURATION / $ROUNDS)")
# One user, one confirmation on each database in turn: paired, so that the
# machine's drift cancels out confirmation by confirmation.
say "Single client: $SINGLE confirmations on each database, one on each in turn"
bounded $((SINGLE * 20 + 120)) "${LOAD[@]}" pair --phase single-1 --seed "$SEED" \
    --iterations "$SINGLE" \
    --odoo-url "$(url_of odoo)" --odoo-db "$ODOO_DB" --odoo-pid "${PID_OF[odoo]}" \
    --odoo-log "$OUT/odoo/odoo.log" --odoo-out "$OUT/odoo/single-1.json" \
    --addon-url "$(url_of addon)" --addon-db "$ADDON_DB" --addon-pid "${PID_OF[addon]}" \
    --addon-log "$OUT/addon/odoo.log" --addon-out "$OUT/addon/single-1.json" \
    || die "the single-client phase failed (server logs: $OUT/*/odoo.log)"
for round in $(seq "$ROUNDS"); do
    order=(odoo addon)
    [ $((round % 2)) = 0 ] && order=(addon odoo)
    for mode in "${order[@]}"; do
        say "${DB_OF[$mode]}, round $round of $ROUNDS: $CLIENTS clients for $DURATION_ROUND s (confirmations, deliveries, drags)"
        drive "$mode" "multi-$round" $((${DURATION_ROUND%.*} + 400)) \
            --clients "$CLIENTS" --duration "$DURATION_ROUND" --mix
    done
done
stop_server odoo
stop_server addon

say "$ADDON_DB: stored statuses and figures against a full rebuild"
CHECK=$OUT/check.json
bounded 300 "${LOAD[@]}" check -c "$ODOO_CONF" -d "$ADDON_DB" --out "$CHECK" \
    || say "the comparison with a full rebuild failed (see above); reported as not run"

"${LOAD[@]}" report --odoo-dir "$OUT/odoo" --addon-dir "$OUT/addon" --check "$CHECK" \
    --workers "$WORKERS" --products "$PRODUCTS" --stock "$STOCK" --addon-version "$ADDON_VERSION"
echo
echo "Raw results and server logs: \$SALE_FULFILMENT_CACHE${OUT#"$CACHE"}"

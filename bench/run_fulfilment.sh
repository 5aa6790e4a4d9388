#!/usr/bin/env bash
# Fulfilment and priority benchmarks: see bench/FULFILMENT.md.
#
#   bench/run_fulfilment.sh [--rebuild] [fulfilment|priority|beyond|all] [-- options]
#
# Two databases, copies of the template database scripts/test.sh keeps (Odoo's
# modules, with demo data) with sale_fulfilment installed: $SF_BENCH_F_DB
# (default sf_bench_f) for bench/fulfilment.py, which rolls back everything
# it creates, and ${SF_BENCH_F_DB}_priority for bench/priority.py, which
# commits its 2,000 orders and MOs once (a marker) and rolls back each
# measurement; bench/beyond.py (defaults, promise dates, make-to-order trees)
# uses the first database and rolls back everything too. Each is
#   - created when missing, or anew with --rebuild;
#   - updated (-u sale_fulfilment) when the addon's files changed since;
#   - created anew when priority.py finds a data set of other sizes.
# Options after -- go to the one script asked for (fulfilment -- --help, priority
# -- --help list them).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

DB=${SF_BENCH_F_DB:-sf_bench_f}
case "$DB" in
    sf_bench_f*) ;;
    *) die "SF_BENCH_F_DB must start with sf_bench_f (got $DB): the benchmark drops and recreates it." ;;
esac

REBUILD=
WHICH=all
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rebuild) REBUILD=1 ;;
        fulfilment | priority | beyond | all) WHICH=$1 ;;
        --)
            shift
            ARGS=("$@")
            break
            ;;
        -h | --help)
            sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done

if [ "$WHICH" = all ] && [ ${#ARGS[@]} -gt 0 ]; then
    die "options after -- go to one script: name it (fulfilment or priority)"
fi

prepare

# The template database scripts/test.sh builds (same formula as there and in run.sh).
template_db_name

addon_stamp() {
    (cd "$REPO" && find . \( -path ./bench -o -path ./.git -o -path ./tests \) -prune -o -type f \
        \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \) -print | LC_ALL=C sort | xargs cat | cksum | cut -d' ' -f1)
}

create_db() {
    local db=$1 try
    "$PGBIN/dropdb" --if-exists --force "$db"
    rm -rf "$CACHE/data/filestore/$db"
    if module_installed "$BASE" "${DEPENDS##*,}"; then
        say "Database $db: a copy of $BASE, installing sale_fulfilment"
        for try in 1 2 3 4 5 6; do
            # Fails while someone else copies the template at the same moment.
            "$PGBIN/createdb" -T "$BASE" "$db" && break
            [ "$try" = 6 ] && die "could not copy the template database $BASE"
            sleep 5
        done
        if [ -d "$CACHE/data/filestore/$BASE" ]; then
            cp -r "$CACHE/data/filestore/$BASE" "$CACHE/data/filestore/$db"
        fi
    else
        say "Database $db: no template database $BASE (scripts/test.sh builds it), installing everything (minutes)"
        "$PGBIN/createdb" "$db"
    fi
    odoo_bin -d "$db" -i sale_fulfilment --stop-after-init --log-level=warn
    addon_stamp > "$CACHE/$db.addon-stamp"
}

ensure_db() {
    local db=$1
    if [ -n "$REBUILD" ] || ! module_installed "$db" sale_fulfilment; then
        create_db "$db"
    elif [ "$(addon_stamp)" != "$(cat "$CACHE/$db.addon-stamp" 2>/dev/null)" ]; then
        say "Database $db: the addon changed since it was installed, updating sale_fulfilment"
        odoo_bin -d "$db" -u sale_fulfilment --stop-after-init --log-level=warn
        addon_stamp > "$CACHE/$db.addon-stamp"
    fi
}

run_fulfilment() {
    ensure_db "$DB"
    python "$REPO/bench/fulfilment.py" -c "$ODOO_CONF" -d "$DB" ${ARGS[@]+"${ARGS[@]}"}
}

run_beyond() {
    ensure_db "$DB"
    python "$REPO/bench/beyond.py" -c "$ODOO_CONF" -d "$DB" ${ARGS[@]+"${ARGS[@]}"}
}

run_priority() {
    local db=${DB}_priority status
    ensure_db "$db"
    set +e
    python "$REPO/bench/priority.py" -c "$ODOO_CONF" -d "$db" ${ARGS[@]+"${ARGS[@]}"}
    status=$?
    set -e
    if [ "$status" = 3 ]; then
        say "Database $db holds a data set of other sizes: creating it anew"
        create_db "$db"
        python "$REPO/bench/priority.py" -c "$ODOO_CONF" -d "$db" ${ARGS[@]+"${ARGS[@]}"}
    else
        return "$status"
    fi
}

case "$WHICH" in
    fulfilment) run_fulfilment ;;
    priority) run_priority ;;
    beyond) run_beyond ;;
    all)
        run_fulfilment
        echo
        run_priority
        echo
        run_beyond
        ;;
esac

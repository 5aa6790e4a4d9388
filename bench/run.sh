#!/usr/bin/env bash
# Availability benchmark on a large data set: see bench/README.md.
#
#   bench/run.sh [--rebuild] [options of bench/availability.py]
#
# The database ($SF_BENCH_DB, default sf_bench; the name must start with
# sf_bench) is a copy of the template database scripts/test.sh keeps (Odoo's
# modules, with demo data), with sale_fulfilment installed. It is
#   - created when missing, or anew with --rebuild;
#   - created anew when it holds a data set of other sizes than asked for;
#   - updated (-u sale_fulfilment) when the addon's files changed since.
# The data set itself is built by availability.py on first use and reused.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

DB=${SF_BENCH_DB:-sf_bench}
case "$DB" in
    sf_bench*) ;;
    *) die "SF_BENCH_DB must start with sf_bench (got $DB): the benchmark drops and recreates it." ;;
esac

REBUILD=
ARGS=()
for arg in "$@"; do
    case "$arg" in
        --rebuild) REBUILD=1 ;;
        -h | --help)
            sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            echo
            ARGS=(--help)
            break
            ;;
        *) ARGS+=("$arg") ;;
    esac
done

prepare

# The template database scripts/test.sh builds, named after the dependencies
# and the Odoo release (same formula as there).
template_db_name
STAMP_FILE=$CACHE/$DB.addon-stamp

# Anything that needs `-u` when it changes: models, views, data, security.
addon_stamp() {
    (cd "$REPO" && find . \( -path ./bench -o -path ./.git -o -path ./tests \) -prune -o -type f \
        \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \) -print | LC_ALL=C sort | xargs cat | cksum | cut -d' ' -f1)
}

create_db() {
    "$PGBIN/dropdb" --if-exists --force "$DB"
    rm -rf "$CACHE/data/filestore/$DB"
    if module_installed "$BASE" "${DEPENDS##*,}"; then
        say "Database $DB: a copy of $BASE, installing sale_fulfilment"
        local try
        for try in 1 2 3 4 5 6; do
            # Fails while someone else copies the template at the same moment.
            "$PGBIN/createdb" -T "$BASE" "$DB" && break
            [ "$try" = 6 ] && die "could not copy the template database $BASE"
            sleep 5
        done
        if [ -d "$CACHE/data/filestore/$BASE" ]; then
            cp -r "$CACHE/data/filestore/$BASE" "$CACHE/data/filestore/$DB"
        fi
    else
        say "Database $DB: no template database $BASE (scripts/test.sh builds it), installing everything (minutes)"
        "$PGBIN/createdb" "$DB"
    fi
    odoo_bin -d "$DB" -i sale_fulfilment --stop-after-init --log-level=warn
    addon_stamp > "$STAMP_FILE"
}

if [ "${ARGS[*]-}" != "--help" ]; then
    if [ -n "$REBUILD" ] || ! module_installed "$DB" sale_fulfilment; then
        create_db
    elif [ "$(addon_stamp)" != "$(cat "$STAMP_FILE" 2>/dev/null)" ]; then
        say "Database $DB: the addon changed since it was installed, updating sale_fulfilment"
        odoo_bin -d "$DB" -u sale_fulfilment --stop-after-init --log-level=warn
        addon_stamp > "$STAMP_FILE"
    fi
fi

bench() { python "$REPO/bench/availability.py" -c "$ODOO_CONF" -d "$DB" ${ARGS[@]+"${ARGS[@]}"}; }

set +e
bench
status=$?
set -e
if [ "$status" = 3 ]; then
    say "Database $DB holds a data set of other sizes: creating it anew"
    create_db
    bench
    exit $?
fi
exit "$status"

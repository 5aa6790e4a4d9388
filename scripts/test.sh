#!/usr/bin/env bash
# The README's test command: lint, then every test of the addon on a fresh
# database of a real Odoo 18 through pytest-odoo, with coverage.
# Extra arguments go to pytest (e.g. `scripts/test.sh -k booking`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
prepare

if [ -z "${SKIP_LINT:-}" ]; then
    say "Lint: ruff, pylint-odoo, prettier (XML)"
    bash "$REPO/scripts/lint.sh"
fi

# Odoo's own modules take minutes to install; they are installed once into a
# template database (per Odoo source and dependency list) that each run copies.
# The addon itself is installed anew, with its demo data, on every run.
ensure_template_db
DB=${SALE_FULFILMENT_TEST_DB:-sf_test}
say "Fresh database $DB, installing sale_fulfilment with its demo data"
"$PGBIN/dropdb" --if-exists --force "$DB"
"$PGBIN/createdb" -T "$BASE" "$DB"
rm -rf "$CACHE/data/filestore/$DB"
[ -d "$CACHE/data/filestore/$BASE" ] && cp -r "$CACHE/data/filestore/$BASE" "$CACHE/data/filestore/$DB"
odoo_bin -d "$DB" -i sale_fulfilment --stop-after-init --log-level=warn

say "Tests (pytest-odoo, with coverage)"
if [ -z "${CHROME_BIN:-}" ] && ! command -v chromium >/dev/null; then
    say "Installing Debian's chromium for the browser tests"
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || say "chromium could not be installed"
    fi
fi
# pytest-odoo names test modules after the addon folder: collect them through
# the link named sale_fulfilment, from outside the repository.
cd "$ADDONS_DIR"
set +e
python -m pytest -p no:cacheprovider --rootdir="$ADDON" --odoo-database="$DB" --odoo-config="$ODOO_CONF" \
    --odoo-http --cov="$ADDON" --cov-config="$REPO/.coveragerc" --cov-report=term "$@" "$ADDON/tests"
status=$?
set -e
[ "$status" = 5 ] && echo "No test was collected: that is a failure." >&2
exit "$status"

#!/usr/bin/env bash
# The README's demo command: Odoo 18 on http://localhost:8069 with
# sale_fulfilment and its demo data (Oak & Co., a small furniture maker).
# Safe to run again: an existing demo database is reused, and updated only
# when the addon's files changed. Stop the server with Ctrl+C.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
prepare

DB=${SALE_FULFILMENT_DEMO_DB:-sale_fulfilment_demo}
PORT=${SALE_FULFILMENT_HTTP_PORT:-8069}
stamp_file=$CACHE/demo-$DB.stamp
stamp=$(cd "$REPO" && git ls-files -co --exclude-standard -- ':!bench' ':!scripts' | sort | xargs cat 2>/dev/null | cksum | cut -d' ' -f1)

if ! module_installed "$DB" sale_fulfilment; then
    say "Creating the demo database $DB (a few minutes the first time)"
    "$PGBIN/dropdb" --if-exists --force "$DB"
    odoo_bin -d "$DB" -i sale_fulfilment --stop-after-init --log-level=warn
    echo "$stamp" > "$stamp_file"
elif [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
    say "The addon changed: updating it in $DB"
    odoo_bin -d "$DB" -u sale_fulfilment --stop-after-init --log-level=warn
    echo "$stamp" > "$stamp_file"
fi

cat <<MSG

  Odoo 18 with sale_fulfilment is starting on http://localhost:$PORT
  Log in as admin / admin (database $DB).
  Start with Sales > Orders > Sales priority, then Inventory > Products > Stock
  and Manufacturing > Operations > Schedule. Ctrl+C stops the server.

MSG
exec python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$DB" --db-filter="^$DB\$" \
    --http-port="$PORT" --log-level=warn

#!/usr/bin/env bash
# Regenerates the translation template i18n/sale_fulfilment.pot from the code,
# with Odoo's own exporter (translation_template.py; tests/test_i18n.py fails when the
# committed file is stale). Run it after changing any user-facing string:
#   scripts/update_pot.sh        on a throwaway copy of the template database
#   scripts/update_pot.sh DB     on DB, where the addon is updated first
# The translations i18n/<lang>.po follow (new terms untranslated, gone terms
# removed); it lists the terms left to translate.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
prepare
ensure_template_db

if [ -n "${1:-}" ]; then
    DB=$1
    module_installed "$DB" sale_fulfilment || die "$DB has no sale_fulfilment installed; run scripts/update_pot.sh without arguments."
    say "Updating sale_fulfilment in $DB"
    odoo_bin -d "$DB" -u sale_fulfilment --stop-after-init --log-level=warn
else
    DB=sf_pot_$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)
    trap '"$PGBIN/dropdb" --if-exists --force "$DB"; rm -rf "$CACHE/data/filestore/$DB"' EXIT
    say "Throwaway database $DB, installing sale_fulfilment"
    "$PGBIN/dropdb" --if-exists --force "$DB"
    "$PGBIN/createdb" -T "$BASE" "$DB"
    [ -d "$CACHE/data/filestore/$BASE" ] && cp -r "$CACHE/data/filestore/$BASE" "$CACHE/data/filestore/$DB"
    odoo_bin -d "$DB" -i sale_fulfilment --stop-after-init --log-level=warn
fi

say "Exporting the template to i18n/sale_fulfilment.pot, merging it into i18n/*.po"
mkdir -p "$REPO/i18n"
python "$ODOO_SRC/odoo-bin" shell -c "$ODOO_CONF" -d "$DB" --no-http --log-level=warn <<'PY'
from odoo.addons.sale_fulfilment.translation_template import (
    POT_PATH, export_pot, merge_translations, stable_text,
)
pot = export_pot(env.cr)
if POT_PATH.exists() and stable_text(POT_PATH.read_text()) == stable_text(pot):
    pot = POT_PATH.read_text()  # only the dates would change: keep the file as it is
    print(f"{POT_PATH} is current")
else:
    POT_PATH.write_text(pot)
    print(f"written {POT_PATH}")
for name, terms in merge_translations(pot).items():
    print(f"i18n/{name}: " + (f"{len(terms)} terms to translate:" if terms else "complete"))
    for term in terms:
        print(f"    {term!r}")
PY

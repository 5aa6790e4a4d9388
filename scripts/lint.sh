#!/usr/bin/env bash
# Lint: ruff (rules and formatting), pylint-odoo's mandatory checks for 18.0,
# prettier's XML formatting. Run by scripts/test.sh; `--fix` rewrites in place.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -n "${VENV:-}" ] || { find_odoo; setup_venv; }
cd "$REPO"
fix=${1:-}

NODE_DIR=$CACHE/node
if [ ! -x "$NODE_DIR/node_modules/.bin/prettier" ]; then
    command -v npm >/dev/null || die "npm is needed for prettier's XML check; install Debian's npm package."
    say "Installing prettier and its XML plugin into $NODE_DIR"
    npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" prettier@3.3.3 @prettier/plugin-xml@3.4.1 >/dev/null
fi
mapfile -t xml < <(git ls-files -co --exclude-standard '*.xml')
prettier=("$NODE_DIR/node_modules/.bin/prettier" --plugin="$NODE_DIR/node_modules/@prettier/plugin-xml/src/plugin.js")

if [ "$fix" = --fix ]; then
    ruff format .
    ruff check --fix .
    [ "${#xml[@]}" = 0 ] || "${prettier[@]}" --write "${xml[@]}"
else
    ruff check .
    ruff format --check .
    [ "${#xml[@]}" = 0 ] || "${prettier[@]}" --check "${xml[@]}"
fi
# pylint-odoo needs the addon importable under its own name.
link_addon
PYTHONPATH=$ODOO_SRC pylint --rcfile="$REPO/.pylintrc" "$ADDON"

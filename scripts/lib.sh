# Shared set-up for scripts/demo.sh and scripts/test.sh: sourced, not run.
#
# Everything this project installs lives under one cache folder, so a second
# run reuses it and a fresh clone of the repository costs nothing more:
#   SALE_FULFILMENT_CACHE  (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sale_fulfilment)
# Where the Odoo 18.0 source comes from, in this order:
#   1. ODOO_SRC, an Odoo 18.0 checkout (odoo/, addons/, odoo-bin, requirements.txt);
#   2. $SALE_FULFILMENT_CACHE/odoo-18.0 when it holds one;
#   3. a shallow clone of the official repository's 18.0 branch into that folder.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SALE_FULFILMENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sale_fulfilment}
ODOO_DEFAULT_SRC=$CACHE/odoo-18.0
ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
PGPORT=${SALE_FULFILMENT_PGPORT:-5439}
DB_USER=odoo
mkdir -p "$CACHE"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

is_odoo18() { [ -f "$1/odoo-bin" ] && [ -d "$1/addons" ] && grep -q "^version_info = (18, 0" "$1/odoo/release.py" 2>/dev/null; }

find_odoo() {
    if [ -n "${ODOO_SRC:-}" ]; then
        is_odoo18 "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 checkout (expected odoo-bin, addons/ and odoo/release.py of 18.0)."
    elif is_odoo18 "$ODOO_DEFAULT_SRC"; then
        ODOO_SRC=$ODOO_DEFAULT_SRC
    else
        say "No Odoo 18.0 source found: cloning the 18.0 branch of $ODOO_GIT_URL into $ODOO_DEFAULT_SRC"
        rm -rf "$ODOO_DEFAULT_SRC.partial"
        if ! git clone --quiet --depth 1 --branch 18.0 "$ODOO_GIT_URL" "$ODOO_DEFAULT_SRC.partial"; then
            rm -rf "$ODOO_DEFAULT_SRC.partial"
            die "Could not get the Odoo 18.0 source. Set ODOO_SRC to an Odoo 18.0 checkout, or put one at $ODOO_DEFAULT_SRC (it needs odoo/, addons/, odoo-bin and requirements.txt)."
        fi
        mv "$ODOO_DEFAULT_SRC.partial" "$ODOO_DEFAULT_SRC"
        ODOO_SRC=$ODOO_DEFAULT_SRC
    fi
    ODOO_SRC=$(cd "$ODOO_SRC" && pwd)
    export ODOO_SRC
}

# Odoo finds an addon by its folder name, and a clone may be named anything:
# a per-clone folder holds a link named sale_fulfilment to this repository.
link_addon() {
    ADDONS_DIR=$CACHE/addons/$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)
    ADDON=$ADDONS_DIR/sale_fulfilment
    mkdir -p "$ADDONS_DIR"
    ln -sfn "$REPO" "$ADDON"
}

setup_venv() {
    local python=${PYTHON:-python3} stamp
    VENV=$CACHE/venv
    stamp=$(cat "$ODOO_SRC/requirements.txt" "$REPO/scripts/odoo_requirements.py" "$REPO/requirements-dev.txt" | cksum | cut -d' ' -f1)
    if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
        say "Creating the Python environment in $VENV (Odoo's requirements, test and lint tools)"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --upgrade pip packaging 2>&1 | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" "$REPO/scripts/odoo_requirements.py" "$ODOO_SRC/requirements.txt" > "$VENV/odoo-requirements.txt"
        "$VENV/bin/pip" install --quiet -r "$VENV/odoo-requirements.txt" -r "$REPO/requirements-dev.txt" 2>&1 | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" -c "import lxml, psycopg2, werkzeug, pylint_odoo" || die "the Python environment in $VENV is incomplete; see pip's messages above."
        echo "$stamp" > "$VENV/.stamp"
    fi
    # Odoo runs from its checkout (odoo-bin); pytest-odoo imports it, so the
    # environment sees the checkout the way `pip install -e` would.
    "$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" \
        | { read -r site; echo "$ODOO_SRC" > "$site/odoo-source.pth"; }
    export PATH=$VENV/bin:$PATH
}

# A private PostgreSQL cluster on its own port and socket folder, so the
# machine's own server (if any) is left alone. PostgreSQL refuses to run as
# root; as root the cluster belongs to the postgres system user.
start_postgres() {
    local pgbin
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$pgbin/pg_ctl" ] || die "PostgreSQL server binaries not found (expected /usr/lib/postgresql/<version>/bin); install Debian's postgresql package."
    local as=()
    if [ "$(id -u)" = 0 ]; then
        PGROOT=${SALE_FULFILMENT_PGROOT:-/var/lib/postgresql/sale_fulfilment}
        mkdir -p "$PGROOT"
        chown postgres: "$PGROOT"
        as=(runuser -u postgres --)
    else
        PGROOT=${SALE_FULFILMENT_PGROOT:-$CACHE/postgres}
        mkdir -p "$PGROOT"
    fi
    PGSOCK=$PGROOT/run
    "${as[@]}" mkdir -p "$PGSOCK"
    if [ ! -f "$PGROOT/data/PG_VERSION" ]; then
        say "Creating a PostgreSQL cluster in $PGROOT/data"
        "${as[@]}" "$pgbin/initdb" --pgdata="$PGROOT/data" --username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! "${as[@]}" "$pgbin/pg_ctl" status --pgdata="$PGROOT/data" >/dev/null 2>&1; then
        say "Starting PostgreSQL on port $PGPORT (socket in $PGSOCK)"
        "${as[@]}" "$pgbin/pg_ctl" start --wait --pgdata="$PGROOT/data" --log="$PGROOT/server.log" \
            -o "-p $PGPORT -k $PGSOCK -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
            || die "PostgreSQL did not start; see $PGROOT/server.log"
    fi
    export PGHOST=$PGSOCK PGPORT PGUSER=$DB_USER
    psql_admin() { "$pgbin/psql" -X -q -h "$PGSOCK" -p "$PGPORT" -U postgres -d postgres "$@"; }
    psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'" | grep -q 1 \
        || psql_admin -c "CREATE ROLE $DB_USER LOGIN SUPERUSER"
    PGBIN=$pgbin
}

write_config() {
    # The HTTP port is the browser tests' too: two runs side by side need two
    # (SALE_FULFILMENT_HTTP_PORT).
    ODOO_CONF=$CACHE/odoo-$(basename "$ADDONS_DIR")${SALE_FULFILMENT_HTTP_PORT:+-$SALE_FULFILMENT_HTTP_PORT}.conf
    cat > "$ODOO_CONF" <<CONF
[options]
addons_path = $ADDONS_DIR,$ODOO_SRC/addons
data_dir = $CACHE/data
db_host = $PGSOCK
db_port = $PGPORT
db_user = $DB_USER
db_password = False
admin_passwd = admin
http_interface = 127.0.0.1
http_port = ${SALE_FULFILMENT_HTTP_PORT:-8069}
CONF
    export ODOO_RC=$ODOO_CONF
}

odoo_bin() { python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" "$@"; }

db_exists() { "$PGBIN/psql" -X -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" -d postgres | grep -q 1; }

module_installed() {
    db_exists "$1" && "$PGBIN/psql" -X -tAc "SELECT 1 FROM ir_module_module WHERE name = '$2' AND state = 'installed'" -d "$1" 2>/dev/null | grep -q 1
}

# Odoo's modules the addon depends on (DEPENDS, from the manifest given, the
# repository's by default) and the template database that holds them
# installed with their demo data (BASE, named after them and the Odoo release,
# so a new Odoo or a new dependency makes a new one).
template_db_name() {
    DEPENDS=$(python - "${1:-$REPO/__manifest__.py}" <<'PY'
import ast, sys
print(",".join(ast.literal_eval(open(sys.argv[1]).read())["depends"]))
PY
)
    BASE=sf_base_$(printf '%s %s' "$DEPENDS" "$(cat "$ODOO_SRC/odoo/release.py")" | cksum | cut -d' ' -f1)
}

# The template database, installed once (minutes); every test run copies it.
ensure_template_db() {
    template_db_name "$@"
    if ! module_installed "$BASE" "${DEPENDS##*,}"; then
        say "Installing Odoo's modules ($DEPENDS) into the template database $BASE (once)"
        "$PGBIN/dropdb" --if-exists "$BASE"
        odoo_bin -d "$BASE" -i "$DEPENDS" --stop-after-init --log-level=warn
    fi
}

prepare() {
    find_odoo
    link_addon
    setup_venv
    start_postgres
    write_config
}

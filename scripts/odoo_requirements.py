"""Print Odoo's requirements as pins installable from wheels.

Odoo 18's requirements.txt pins, for Python 3.11, versions that no longer
build from source on current toolchains; its Python 3.12 pins ship wheels and
work with Odoo 18 on 3.11 too. So every marker is evaluated as if on 3.12,
psycopg2 becomes psycopg2-binary and python-ldap (LDAP login only) is dropped.
"""

import sys

from packaging.requirements import Requirement

SKIPPED = {"python-ldap", "pypiwin32", "rl-renderpm"}
RENAMED = {"psycopg2": "psycopg2-binary"}
ENVIRONMENT = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux"}


def wheel_requirements(lines):
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker and not req.marker.evaluate(ENVIRONMENT):
            continue
        name = req.name.lower()
        if name in SKIPPED:
            continue
        yield f"{RENAMED.get(name, req.name)}{req.specifier}"


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print("\n".join(wheel_requirements(handle)))

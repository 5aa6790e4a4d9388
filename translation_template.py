"""The addon's translation template, exported by Odoo's own exporter.

Shared by `scripts/update_pot.sh`, which writes `i18n/sale_fulfilment.pot`,
and by `tests/test_i18n.py`, which fails when the committed file is stale: both
produce the same text from the same database, demo data installed or not.
"""

import copy
import io
import re
from pathlib import Path

import polib
from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.modules.module import get_manifest, get_module_path
from odoo.tools.translate import TranslationFileWriter, TranslationModuleReader

MODULE = "sale_fulfilment"
POT_PATH = Path(__file__).resolve().parent / "i18n" / f"{MODULE}.pot"
UPDATE_COMMAND = "scripts/update_pot.sh"

# Lines of Odoo's header that change with every export or Odoo build.
_VOLATILE_HEADER = re.compile(
    r'^(# Translation of .*|"(POT-Creation-Date|PO-Revision-Date|Project-Id-Version): .*)$',
    re.MULTILINE,
)


def demo_xmlids(env, module=MODULE):
    """External ids the manifest's demo files define, with those Odoo gives
    the parent records of `_inherits` models (a demo product's template): the
    demo's product and partner names are examples, not interface text, and
    Odoo's own templates leave them out."""
    path = Path(get_module_path(module))
    xmlids = set()
    for name in get_manifest(module).get("demo", []):
        if not name.endswith(".xml"):
            continue
        for node in etree.parse(str(path / name)).iter():
            xmlid = node.get("id") if isinstance(node.tag, str) else None
            if not xmlid:
                continue
            xmlid = xmlid if "." in xmlid else f"{module}.{xmlid}"
            xmlids.add(xmlid)
            model = env.get(node.get("model") or "")
            for parent in model._inherits if model is not None else ():
                xmlids.add(f"{xmlid}_{parent.replace('.', '_')}")
    return xmlids


def export_pot(cr, module=MODULE):
    """The .pot text of `module` as Odoo's exporter writes it (what
    `odoo-bin --i18n-export` gives), without the demo data's terms."""
    demo = demo_xmlids(api.Environment(cr, SUPERUSER_ID, {}), module)
    rows = [
        row
        for row in TranslationModuleReader(cr, modules=[module])
        if not (row[1] in ("model", "model_terms") and row[3] in demo)
    ]
    buffer = io.BytesIO()
    TranslationFileWriter(buffer, fileformat="po", lang=None).write_rows(rows)
    return buffer.getvalue().decode()


def stable_text(pot_text):
    """The template without the header lines that change at each export."""
    return _VOLATILE_HEADER.sub("", pot_text)


def merge_translations(pot_text, folder=POT_PATH.parent):
    """Bring every i18n/<lang>.po in line with the template, as `msgmerge`
    would without fuzzy matching: the template's terms in its order and with
    its references, each keeping its translation; new terms come in
    untranslated (the test lists them), terms gone from the code go away.
    Returns {file name: [untranslated terms]}."""
    template = polib.pofile(pot_text)
    untranslated = {}
    for path in sorted(folder.glob("*.po")):
        old = polib.pofile(str(path))
        done = {entry.msgid: entry.msgstr for entry in old if not entry.obsolete}
        new = polib.POFile(wrapwidth=old.wrapwidth)
        new.header = old.header
        new.metadata = dict(old.metadata)
        new.metadata["POT-Creation-Date"] = template.metadata.get("POT-Creation-Date", "")
        for entry in template:
            entry = copy.copy(entry)
            entry.msgstr = done.get(entry.msgid, "")
            new.append(entry)
        new.save(str(path))
        untranslated[path.name] = [entry.msgid for entry in new if not entry.msgstr]
    return untranslated

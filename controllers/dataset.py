from odoo import http
from odoo.http import request

from odoo.addons.web.controllers import dataset


class DataSet(dataset.DataSet):
    @http.route()
    def resequence(self, model, ids, field="sequence", offset=0, context=None):
        """Reorder ranked models in one statement instead of a write per row."""
        Model = request.env[model]
        if field and getattr(Model, "_rank_field", None) == field:
            if context:
                request.update_context(**context)
            request.env[model].browse(ids)._set_ranks_in_own_transaction()
            return True
        return super().resequence(model, ids, field=field, offset=offset, context=context)

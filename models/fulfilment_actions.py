def records_action(records, name):
    """Window action on ``records``: their form for one, a list for several."""
    action = {"type": "ir.actions.act_window", "res_model": records._name}
    if len(records) == 1:
        return {**action, "view_mode": "form", "res_id": records.id}
    return {
        **action,
        "name": name,
        "view_mode": "list,form",
        "domain": [("id", "in", records.ids)],
    }

"""Item pipelines, in order: normalize, body, validate, store (see ITEM_PIPELINES)."""

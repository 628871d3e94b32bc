"""Source profiles: one YAML file per site, read by the generic page objects (see ``profile.py``)."""

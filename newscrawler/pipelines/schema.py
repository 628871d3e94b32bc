"""Schema stage, after the store: every stored article checked against ``SPIDERMON_VALIDATION_SCHEMAS``.

It does what spidermon's ``ItemValidationPipeline`` does, under the same stats keys
(``spidermon/validation/…``, read by ``monitors.StoredFieldsMonitor``), without its cost: that
pipeline deep-copies every item (``ItemAdapter.asdict``) and builds a new jsonschema validator
for it. Here each schema is compiled once, and an article is checked as a shallow mapping of its
fields (the check only reads them). An article that fails is described by spidermon's own
``JSONSchemaValidator``, so the error keys and messages are spidermon's.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from spidermon.contrib.scrapy.stats import NAMES, STATS_DEFAULT_VALIDATION_PREFIX, ValidationStatsManager
from spidermon.contrib.validation import JSONSchemaValidator
from spidermon.contrib.validation.jsonschema.formats import format_checker
from spidermon.contrib.validation.jsonschema.tools import get_schema_from

from newscrawler.errors import ConfigError

logger = logging.getLogger(__name__)

SCHEMAS = "SPIDERMON_VALIDATION_SCHEMAS"
# The two counters every article moves, named as ValidationStatsManager names them (its slugs of
# these plain words are the words): spelled once here, not slugified again for every article.
ITEMS = f"{STATS_DEFAULT_VALIDATION_PREFIX}/{NAMES.ITEMS}"
FIELDS = f"{STATS_DEFAULT_VALIDATION_PREFIX}/{NAMES.FIELDS}"


def compiled(schema: dict[str, Any]) -> Validator:
    """A validator of ``schema`` (checked once), with spidermon's format checker."""
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=format_checker)  # type: ignore[no-any-return]


class SchemaCheckPipeline:
    """Counts every article and its fields; a failing one counts its errors (and fails the close monitor)."""

    def __init__(self, crawler: Crawler, schemas: list[dict[str, Any]], drop: bool) -> None:
        self.crawler_stats = crawler.stats
        self.stats = ValidationStatsManager(crawler.stats)
        self.checks = [(compiled(schema), schema) for schema in schemas]
        self.drop = drop
        for _ in schemas:
            self.stats.add_validator("Item", JSONSchemaValidator.name)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemaCheckPipeline:
        settings = crawler.settings
        if not settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("SPIDERMON_ENABLED is off")
        if settings.getbool("SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS"):
            raise ConfigError("SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS is not supported: an article has a "
                              "fixed set of fields; validation errors are counted in the stats")
        paths = settings.getlist(SCHEMAS)
        if not paths:
            raise NotConfigured(f"{SCHEMAS} is empty")
        schemas = []
        for path in paths:
            schema = get_schema_from(path) if isinstance(path, str) else path
            if not isinstance(schema, dict):
                raise ConfigError(f"{SCHEMAS}: {path!r} names no JSON Schema (a dict, an object path to "
                                  "one or to a JSON string, or a JSON file)")
            schemas.append(schema)
        return cls(crawler, schemas, settings.getbool("SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS"))

    def process_item(self, item: Any) -> Any:
        # The fields themselves, not copies: the schema check only reads them.
        fields = dict(ItemAdapter(item).items())
        self.crawler_stats.inc_value(ITEMS)
        self.crawler_stats.inc_value(FIELDS, len(fields))
        for validator, schema in self.checks:
            if validator.is_valid(fields):
                continue
            # Rare: spidermon describes the failure, so the keys are exactly its own.
            _, errors = JSONSchemaValidator(schema).validate(fields)
            for field_name, messages in errors.items():
                for message in messages:
                    self.stats.add_field_error(field_name, message)
            self.stats.add_item_with_errors()
            if self.drop:
                self.stats.add_dropped_item()
                raise DropItem(f"Validation failed: {', '.join(sorted(errors))}: {fields.get('url')}")
        return item

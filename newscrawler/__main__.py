"""``python -m newscrawler <command>``: the project's Scrapy commands, from any folder."""

from newscrawler.cli import main

raise SystemExit(main())

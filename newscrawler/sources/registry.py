"""Which profiles exist: the bundled ones beside this module, then those in ``SOURCES_DIR``.

A profile in ``SOURCES_DIR`` with a bundled profile's name replaces it (a site moved, a
mirror): the log says so. A bad profile file is reported and left out; the others load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from newscrawler.errors import ConfigError
from newscrawler.sources.profile import ProfileError, SourceProfile, load_profile

logger = logging.getLogger(__name__)

# Read as package resources: a Scrapyd egg holds them in a zip file.
BUNDLED_DIR: Traversable = files("newscrawler.sources")
PROFILE_SUFFIXES = (".yaml", ".yml")


@dataclass
class Profiles:
    """The profiles found, by name, and the files that could not be used."""

    by_name: dict[str, SourceProfile] = field(default_factory=dict)
    errors: list[ProfileError] = field(default_factory=list)

    def get(self, name: str) -> SourceProfile:
        """The profile named ``name``; a ConfigError naming the bad file or the known names."""
        if name in self.by_name:
            return self.by_name[name]
        for error in self.errors:
            if Path(error.path).stem == name:
                raise error
        known = ", ".join(sorted(self.by_name)) or "none"
        raise ConfigError(f"no source profile named {name!r} (known: {known})")


def profile_files(folder: Path | Traversable) -> list[Path | Traversable]:
    """The profile files directly in ``folder``, by name; none when it does not exist."""
    try:
        found = [p for p in folder.iterdir() if p.name.endswith(PROFILE_SUFFIXES) and p.is_file()]
        return sorted(found, key=lambda p: p.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise ConfigError(f"SOURCES_DIR {folder} cannot be read ({exc.strerror or exc})") from None


def load_profiles(sources_dir: str | Path | None = None) -> Profiles:
    """The bundled profiles, then those of ``sources_dir`` (the SOURCES_DIR setting)."""
    found = Profiles()
    folders: list[Path | Traversable] = [BUNDLED_DIR]
    if sources_dir and str(Path(sources_dir).resolve()) != str(BUNDLED_DIR):
        folders.append(Path(sources_dir))
    for folder in folders:
        for path in profile_files(folder):
            try:
                profile = load_profile(path)
            except ProfileError as exc:
                found.errors.append(exc)
                continue
            replaced = found.by_name.get(profile.name)
            if replaced is not None:
                logger.info("Source profile %s from %s replaces the one in %s", profile.name, path, replaced.path)
            found.by_name[profile.name] = profile
    return found


# Where SOURCES_DIR points when the settings do not say (relative to the working directory).
DEFAULT_SOURCES_DIR = "sources"


def sources_dir(settings: Any) -> str:
    """The SOURCES_DIR setting, ``sources`` when it is not set."""
    return settings.get("SOURCES_DIR") or DEFAULT_SOURCES_DIR

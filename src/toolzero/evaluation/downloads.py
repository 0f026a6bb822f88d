"""Fetch a public benchmark file once into toolzero's cache (`$TOOLZERO_CACHE`, default
`~/.cache/toolzero`), so that users get the full sets from their public homes.

Only the standard library: `urllib`. No network is a `UserError` that names the URL and
the way around it (download the file elsewhere and pass its folder). With downloading off
(`BenchOptions.download=False`, as in the quickstart, which must never wait on the
network) only the cache is read, and a file not in it is a `NotDownloadedError`. What is
left out: checksums and retries; a partly downloaded file is never left behind.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from toolzero.errors import UserError
from toolzero.user_files import MissingInputError

DOWNLOAD_TIMEOUT_S = 60


class NotDownloadedError(MissingInputError):
    """A benchmark file is not in toolzero's cache and downloading is off."""


def cached_download(url: str, relative: str, allow_download: bool = True) -> Path:
    """The cached copy of `url` at `<cache>/<relative>`, downloaded first if absent (or,
    with `allow_download=False`, a `NotDownloadedError`)."""
    from toolzero.models import cache_dir

    target = cache_dir() / relative
    if not target.is_file():
        if not allow_download:
            raise NotDownloadedError(
                f"{url} is not in toolzero's cache ({target}) and downloading is off"
            )
        download(url, target)
    return target


def download(url: str, target: Path) -> None:
    """Fetch `url` into `target` (written whole or not at all); offline is a UserError."""
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            body = response.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        reason = getattr(err, "reason", err)
        raise UserError(
            f"could not download {url} ({reason}); without network, fetch the file "
            f"elsewhere and pass the folder holding it as the data folder (--data-dir)"
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(body)
    partial.replace(target)

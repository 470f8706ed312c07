"""The command line that runs one of wechat-pub's own commands in a process of its own (the search index's
update, the query log's mover): this interpreter, ``-P`` so the installed code runs and never a ``wechat_pub``
package of the working folder (``python -m`` puts that folder first on the path), and the config file the
parent read."""

from __future__ import annotations

import os
import sys


def own_command(*args: str, config_path: str | os.PathLike | None = None) -> list[str]:
    config = ["--config", str(config_path)] if config_path else []
    return [sys.executable, "-P", "-m", "wechat_pub", *config, *args]

"""An unchanged re-push, known without reading the issue or loading the push pipeline.

Pushing an issue whose draft already holds it sends nothing, but the whole way to finding that out (the parser,
the renderer, SQLAlchemy, wechatpy and requests) takes several times as long as starting the command. So every
push that leaves a draft keeps a *receipt* beside it in the ledger: a fingerprint of what the draft's articles
were made from (the article's text, the bytes of every file it shows, the render options, and the files of
wechat-pub and of the libraries that render) and what the push reported. `wechat-pub push` first asks
:func:`unchanged_push`, which answers only when all of this holds:

- the folder and the database are as this host's last sync left them, when they agreed file for file (so the
  sync a push starts with would do nothing), and the file is in the folder, the only one with its issue number;
- the ledger has the issue's draft (no draft/add in flight, not published) and the receipt is for its content;
- what the file is made of now has the receipt's fingerprint;
- the access token is kept and fresh, and draft/get answers with the draft as our last push left it.

Then the whole way would end in "unchanged" too, and the answer is that outcome, found with one API call.
Anything else, and any failure on the way (the database, the network, WeChat's answer), answers None: the push
goes the whole way, which handles every other case and explains every error.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import wechat_pub
from wechat_pub.publish.outcome import PushOutcome
from wechat_pub.publish.readback import edited_in_wechat
from wechat_pub.source.folder import ArticleFile, LastSync, hash_file
from wechat_pub.state.direct import DirectReads
from wechat_pub.wechat.quick import post, token_key, usable_token

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.render.options import RenderOptions
    from wechat_pub.site import Site

log = logging.getLogger(__name__)

# Libraries whose upgrade may change what a draft holds: the parser, YAML, CSS inlining, images and the cover's font.
RENDERING_LIBRARIES = ("markdown_it", "mdit_py_plugins", "yaml", "css_inline", "PIL", "noto_cjk_sans_otc")


def receipt(text_sha256: str, inputs: dict[str, str], options: RenderOptions, content_hash: str, articles: int,
            cached: int, cover: str) -> str:
    """The receipt of a push that left a draft holding ``content_hash``, made from an article text of
    ``text_sha256`` and the files ``inputs`` (path -> sha256 of the bytes used), rendered with ``options``;
    ``articles``, ``cached`` and ``cover``: what a push that finds it unchanged reports."""
    return json.dumps({"made_from": made_from(text_sha256, inputs, options), "inputs": sorted(inputs),
                       "content": content_hash, "articles": articles, "cached": cached, "cover": cover},
                      ensure_ascii=False)


def made_from(text_sha256: str, inputs: dict[str, str], options: RenderOptions) -> str:
    """A fingerprint of everything a draft's articles are made from (the upload cache keeps one address per image
    content, so the same bytes give the same address)."""
    parts = [code_fingerprint(), text_sha256, sorted(inputs.items()), repr(replace(options, images={}))]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def code_fingerprint() -> str:
    """wechat-pub's files and the rendering libraries', by size and modification time (an upgrade or an edit
    rewrites them): a new version renders afresh."""
    seen = [wechat_pub.__version__]
    package = Path(wechat_pub.__file__).parent
    for folder, children, names in os.walk(package):
        children[:] = sorted(child for child in children if child != "__pycache__")
        seen += [_stat_line(os.path.join(folder, name)) for name in sorted(names)]
    for name in RENDERING_LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            seen += [_stat_line(spec.origin), _stat_line(os.path.dirname(spec.origin))]
    return hashlib.sha256("\n".join(seen).encode()).hexdigest()


def _stat_line(path: str) -> str:
    stat = os.stat(path)
    return f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}"


class NotKnown(Exception):
    """Why an unchanged re-push is not known (the push goes the whole way)."""


def unchanged_push(site: Site, path: str, theme: str | None = None) -> tuple[PushOutcome, str] | None:
    """The outcome of pushing ``path`` when it is known to be unchanged (see the module's description), with the
    sandbox's address when the account is the sandbox's; else None."""
    try:
        return _unchanged(site, path, theme)
    except Exception as exc:  # any doubt, including the database driver's own errors: the whole way explains
        log.info("push %s goes the whole way: %s", path, reason(exc))
        return None


def reason(exc: Exception) -> str:
    """Why an unchanged re-push was not known, in a few words."""
    return str(exc) if isinstance(exc, NotKnown) else f"{type(exc).__name__}: {exc}"


def _unchanged(site: Site, path: str, theme: str | None) -> tuple[PushOutcome, str]:
    article, last = _in_step(site, path)
    reads = DirectReads(site.deployment.database_url)
    try:
        if reads.revision(site.appid) != last.database:
            raise NotKnown("the database changed since the last sync")
        record = reads.push(site.appid, article.number)
        kept = _receipt_that_holds(site, record, article, theme)
        token = _kept_token(site, reads)
    finally:
        reads.close()
    if token is None:
        raise NotKnown("no fresh access token kept")
    base_url, sandbox = _api_base(site)
    news_item = post(base_url, "draft/get", token, {"media_id": record["draft_media_id"]})["news_item"]
    if edited_in_wechat(record["wechat_hash"], news_item):
        raise NotKnown("the draft was edited in WeChat")
    return PushOutcome(article.number, "unchanged", record["draft_media_id"], kept["articles"],
                       cached=kept["cached"], cover=kept["cover"]), sandbox


def _in_step(site: Site, path: str) -> tuple[ArticleFile, LastSync]:
    """The article file, alone with its number in the folder, and the last sync, which left the folder as it is."""
    if not site.articles.contains(path):
        raise NotKnown("not in the articles folder")
    catalogue = site.articles.read()
    wanted = os.path.abspath(path)
    article = next((f for f in catalogue.files if os.path.abspath(f.path) == wanted), None)
    if article is None or not article.number or article.number in catalogue.duplicates:
        raise NotKnown("no issue number of its own")
    last = LastSync.load(site.last_sync_path)
    if last is None or last.folder != catalogue.signature:
        raise NotKnown("the folder changed since the last sync")
    return article, last


def _receipt_that_holds(site: Site, record: dict | None, article: ArticleFile, theme: str | None) -> dict:
    """The receipt of the issue's draft, when what the draft was made from is what the issue is made of now."""
    if record is None or record["state"] != "draft" or record["marker"] or not record["draft_media_id"]:
        raise NotKnown("no draft of it in the ledger (or a draft/add in flight, or published)")
    kept = json.loads(record["receipt"] or "{}")
    if not kept or kept["content"] != record["content_hash"]:
        raise NotKnown("no receipt for the draft's content")
    inputs = {input_path: hash_file(input_path) for input_path in kept["inputs"]}  # (None: gone)
    if made_from(article.sha256, inputs, site.render_options(theme)) != kept["made_from"]:
        raise NotKnown("what the issue is made of changed")
    return kept


def _kept_token(site: Site, reads: DirectReads) -> str | None:
    """The account's access token where the client keeps it (Redis when configured, else the database)."""
    deployment, key, now = site.deployment, token_key(site.appid), site.clock.time()
    entry = deployment.token_storage.get(key) if deployment.redis is not None else reads.token(key, now)
    return usable_token(entry, now)


def _api_base(site: Site) -> tuple[str, str]:
    """The API's base URL, and the sandbox's address when it is the sandbox (already running: when it is not, the
    call fails and the whole way starts one)."""
    if not site.uses_sandbox:
        return site.cfg["wechat.base_url"], ""
    host, port = site.deployment.sandbox_address
    url = f"http://{host}:{port}"
    return f"{url}/cgi-bin/", url

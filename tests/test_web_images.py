"""Images linked on the web are downloaded from public addresses only (issue 21's review: an editor's article made
the server fetch its own services, and the error told which ports answered)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_push import write

from conftest import jpeg_bytes
from wechat_pub.limits import MATERIAL_IMAGE_MAX_BYTES
from wechat_pub.publish.webimages import NotDownloadable, download_image, is_public_host


@contextmanager
def web_server(address: str = "127.0.0.1"):
    """A web server at ``address`` that records every request: (its base URL, ``routes`` mapping a path to
    (status, headers, body), the paths asked)."""
    seen: list[str] = []
    routes: dict[str, tuple[int, dict, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            status, headers, body = routes.get(self.path, (404, {}, b"no"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((address, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{server.server_port}", routes, seen
    finally:
        server.shutdown()


@pytest.fixture
def local_web():
    with web_server() as running:
        yield running


@pytest.mark.parametrize("host, public", [("127.0.0.1", False), ("localhost", False), ("10.1.2.3", False),
                                          ("192.168.1.1", False), ("169.254.169.254", False), ("::1", False),
                                          ("0.0.0.0", False), ("no-such-host.invalid", False)])
def test_only_public_hosts_are_fetched(host, public):
    assert is_public_host(host) is public


@pytest.mark.parametrize("address", ["2002:7f00:1::1", "2002:a9fe:a9fe::", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
                                     "64:ff9b:1::808:808", "::127.0.0.1", "::ffff:10.0.0.1",
                                     "fec0::a9fe:a9fe", "::ffff:0:7f00:1", "ff0e::1", "239.1.2.3"])
def test_an_ipv6_address_that_carries_a_private_ipv4_one_is_not_public(address):
    """6to4, NAT64 and SIIT addresses reach the IPv4 address they carry through a gateway, site-local ones stay in a
    network, multicast is no web server (Python 3.11 calls them all global)."""
    assert not is_public_host("images.example", lambda host, port: [(None, None, None, "", (address, 0, 0, 0))])


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808", "2606:4700::6810:84e5"])
def test_an_ipv6_address_that_carries_a_public_ipv4_one_is_public(address):
    assert is_public_host("images.example", lambda host, port: [(None, None, None, "", (address, 0, 0, 0))])


def test_a_public_address_is_one():
    assert is_public_host("images.example", lambda host, port: [(None, None, None, "", ("93.184.216.34", 0))])
    assert not is_public_host("mixed.example", lambda host, port: [(None, None, None, "", ("93.184.216.34", 0)),
                                                                  (None, None, None, "", ("10.0.0.1", 0))])


def test_a_push_fetches_nothing_from_this_machine_and_says_the_same_whatever_answers(sandbox_dir, sandbox, run_cli,
                                                                                       local_web):
    base, routes, seen = local_web
    routes["/chart.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes(400, 300, "#335577"))
    errors = []
    for number, src in [(150, f"{base}/chart.jpg"), (151, f"{base}/missing.png"), (152, "http://127.0.0.1:9/x.png")]:
        path = write(sandbox_dir, number=number, images=f"\n\n![图]({src})")
        err = run_cli("push", path, expect=1).stderr
        errors.append(err.replace(src, "SRC"))
        assert "cannot be downloaded from a public web address" in err
    assert seen == [] and len(set(errors)) == 1  # no request reached the server; one answer for all three


def named(base: str, name: str) -> str:
    """``base`` (the local server's address) under a host ``name`` that only the tests' resolver knows."""
    return base.replace("127.0.0.1", name)


def resolver(answers: dict[str, list[str]], asked: list[str] | None = None):
    """A stand-in for getaddrinfo: each name's next answer (the last one again once they run out)."""
    def resolve(host, port):
        if asked is not None:
            asked.append(host)
        queue = answers.get(host, ["0.0.0.0"])
        return [(None, None, None, "", (queue.pop(0) if len(queue) > 1 else queue[0], 0))]
    return resolve


def this_server(address: str) -> bool:  # (the local test server stands for a public one)
    return address == "127.0.0.1"


def test_redirects_are_checked_at_every_hop(local_web):
    base, routes, seen = local_web
    routes["/go"] = (302, {"Location": "http://10.0.0.1/secret.png"}, b"")
    with pytest.raises(NotDownloadable):
        download_image(named(base, "images.example") + "/go", public=this_server,
                       resolve=resolver({"images.example": ["127.0.0.1"], "10.0.0.1": ["10.0.0.1"]}))
    assert seen == ["/go"]  # the first hop only: the private one was never asked


def test_a_hop_is_fetched_from_the_address_that_was_checked(local_web):
    """The review (2026-12-06): the name was looked up for the check, then again by requests to connect, so a
    name answering a public address first and a private one next (DNS rebinding) reached the private one."""
    base, routes, seen = local_web
    routes["/chart.jpg"] = (200, {}, b"\xff\xd8\xff" + b"0" * 100)
    asked: list[str] = []
    answers = {"rebind.example": ["127.0.0.1", "10.0.0.1"]}  # checked: this server; a second look: private
    data = download_image(named(base, "rebind.example") + "/chart.jpg", public=this_server,
                          resolve=resolver(answers, asked))
    assert data.startswith(b"\xff\xd8\xff") and seen == ["/chart.jpg"] and asked == ["rebind.example"]


def test_a_backslash_cannot_make_the_check_and_the_fetch_see_two_hosts(local_web):
    """urlsplit reads the host of 'http://127.0.0.1:P\\@8.8.8.8/' as 8.8.8.8 (public); requests stops it at the
    backslash and would connect to 127.0.0.1:P (found by a security review, 2026-12-06)."""
    base, routes, seen = local_web
    routes["/%5C@8.8.8.8/x.png"] = (200, {"Content-Type": "image/png"}, b"internal")
    with pytest.raises(NotDownloadable):
        download_image(f"{base}\\@8.8.8.8/x.png", timeout=3)
    assert seen == []


def test_an_article_cover_with_a_backslash_fetches_nothing_from_this_machine(local_web):
    """The same through an article's `cover:` field, which is taken as written (a Markdown image's address is
    percent-encoded by the parser; the front matter's is not)."""
    from wechat_pub.publish.images import ImageError, read_image_bytes
    from wechat_pub.source.article import parse_article

    base, routes, seen = local_web
    text = ("---\nissue: 7\ndate: 2026-01-05\ntitle_zh: 标题\ntitle_en: Title\n"
            f"cover: '{base}\\@8.8.8.8/c.png'\n---\n\n## 一\n\n### Item\n\nText.\n")
    cover = parse_article(text, "/tmp/issue-7.md").issue.cover
    assert cover == f"{base}\\@8.8.8.8/c.png"
    with pytest.raises(ImageError):
        read_image_bytes(None, cover, (), timeout=3)
    assert seen == []


def test_at_most_ten_megabytes_are_read(local_web):
    base, routes, seen = local_web
    routes["/huge.jpg"] = (200, {}, b"\xff\xd8\xff" + b"0" * MATERIAL_IMAGE_MAX_BYTES)
    routes["/small.jpg"] = (200, {}, b"\xff\xd8\xff" + b"0" * 100)
    local = resolver({"images.example": ["127.0.0.1"]})
    with pytest.raises(NotDownloadable):
        download_image(named(base, "images.example") + "/huge.jpg", resolve=local, public=this_server)
    assert download_image(named(base, "images.example") + "/small.jpg", resolve=local,
                          public=this_server).startswith(b"\xff\xd8\xff")


def test_a_folder_swapped_for_a_symlink_after_the_check_is_not_read(tmp_path, monkeypatch):
    """The review's race: a folder inside the articles folder swapped for a symlink to an outside folder between
    the check and the open. Made deterministic: the swap happens right after the path is resolved."""
    from pathlib import Path

    from wechat_pub import model as m
    from wechat_pub.source import images

    articles, outside = tmp_path / "articles", tmp_path / "outside"
    (articles / "charts").mkdir(parents=True)
    outside.mkdir()
    picture = jpeg_bytes(10, 10, "#000000")
    (articles / "charts" / "a.jpg").write_bytes(picture)
    (outside / "a.jpg").write_bytes(picture)
    real_resolve = Path.resolve

    def resolve_then_swap(self, *args, **kwargs):
        resolved = real_resolve(self, *args, **kwargs)
        if resolved.name == "a.jpg" and (articles / "charts").is_dir() and not (articles / "charts").is_symlink():
            (articles / "charts").rename(tmp_path / "old-charts")
            (articles / "charts").symlink_to(outside)
        return resolved

    monkeypatch.setattr(Path, "resolve", resolve_then_swap)
    opened = images.open_image(str(articles / "charts" / "a.jpg"), "charts/a.jpg", [str(articles)])
    assert isinstance(opened, m.Problem) and "not in the articles folder" in opened.message


def test_an_access_log_line_is_cut_whatever_the_url():
    """The review: 20 requests for /wechat/AAAA… (65,000 characters) wrote 65 KB of log each."""
    import logging

    from wechat_pub.logs import ACCESS_LINE_MAX, RedactingFilter

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '127.0.0.1 - - "GET /wechat/%s HTTP/1.1" 404 -',
                               ("A" * 65000,), None)
    assert RedactingFilter([]).filter(record)
    assert len(record.getMessage()) < ACCESS_LINE_MAX + 60 and record.getMessage().endswith("characters not logged)")


def test_an_access_log_line_names_no_follower_and_has_no_colour_codes():
    """A newcomer's finding (2026-12-06): `wechat-pub run` logged every request with werkzeug's colour codes, also
    into a file; and each webhook request's line carried the follower's openid, kept elsewhere only hashed."""
    import logging

    from wechat_pub.logs import RedactingFilter

    line = ('127.0.0.1 - - "POST /wechat?signature=abc&timestamp=1&nonce=2&openid=o_follower_42&encrypt_type=aes'
            '&msg_signature=def HTTP/1.1" \x1b[32m200\x1b[0m -')
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s", (line,), None)
    assert RedactingFilter([]).filter(record)
    message = record.getMessage()
    assert "o_follower_42" not in message and "openid=***" in message and "\x1b" not in message
    assert message.endswith('" 200 -') and "timestamp=1" in message


def test_over_https_the_checked_address_is_asked_as_the_host_with_its_certificate(tmp_path, monkeypatch):
    """The pinned fetch over TLS: the host's name goes in the handshake (SNI) and its certificate is checked
    against that name, though the connection is to the checked address."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from wechat_pub.publish import webimages

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "images.example")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("images.example")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    names: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"\xff\xd8\xff" + b"0" * 10
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://images.example:{server.server_port}/x.jpg"
        local = resolver({"images.example": ["127.0.0.1"]})
        with pytest.raises(NotDownloadable):  # a certificate nobody vouches for: refused
            download_image(url, timeout=5, resolve=local, public=this_server)
        monkeypatch.setattr(webimages.certs, "where", lambda: str(tmp_path / "cert.pem"))
        assert download_image(url, timeout=5, resolve=local, public=this_server).startswith(b"\xff\xd8\xff")
        assert names and set(names) == {"images.example"}
    finally:
        server.shutdown()


def test_a_host_with_two_addresses_is_fetched_from_one_that_answers():
    """The review (2026-12-06): only the first address (sorted as text) was tried, where requests tried each
    address in the order given: a host whose first address this server cannot reach (no IPv6 route) was never
    fetched. Here 127.0.0.1 refuses and 127.0.0.2 serves."""
    with web_server("127.0.0.2") as (base, routes, seen):
        routes["/a.jpg"] = (200, {}, b"\xff\xd8\xff" + b"0" * 100)

        def two(host, port):  # the first refuses, the second serves
            return [(None, None, None, "", ("127.0.0.1", 0)), (None, None, None, "", ("127.0.0.2", 0))]

        url = base.replace("127.0.0.2", "dual.example") + "/a.jpg"
        assert download_image(url, 3, two, lambda address: True).startswith(b"\xff\xd8\xff")


def test_a_redirect_to_an_address_in_chinese_is_followed_as_written(local_web):
    """The review (2026-12-06): a Location header in UTF-8 was read as Latin-1 (/图片.jpg asked as /%C3%A5…)."""
    base, routes, seen = local_web
    routes["/go"] = (302, {"Location": "/图片.jpg".encode().decode("latin-1")}, b"")
    routes["/%E5%9B%BE%E7%89%87.jpg"] = (200, {}, b"\xff\xd8\xff" + b"0" * 100)
    local = resolver({"images.example": ["127.0.0.1"]})
    assert download_image(named(base, "images.example") + "/go", resolve=local, public=this_server)[:3] == b"\xff\xd8\xff"
    assert seen == ["/go", "/%E5%9B%BE%E7%89%87.jpg"]

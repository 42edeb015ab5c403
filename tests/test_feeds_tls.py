"""HTTPS through the pinned backend: the TCP connection goes to the checked address while
TLS keeps the URL's hostname (SNI and certificate verification). A local TLS site on
127.0.0.1 with a certificate from a throwaway CA; the client trusts only that CA."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from assistant.errors import FetchError
from assistant.feeds.fetch import Fetcher
from tests.test_feeds_rebinding import rebinding_dns

pytest.importorskip("cryptography")


def write_certs(folder: Path, hostname: str) -> tuple[Path, Path, Path]:
    """A CA and a leaf certificate for ``hostname`` signed by it: (ca, cert, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "feeds test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = _certificate(
        ca_key,
        ca_name,
        ca_name,
        ca_key.public_key(),
        [
            (x509.BasicConstraints(ca=True, path_length=None), True),
            (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
            (ca_ski, False),
        ],
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    leaf = _certificate(
        ca_key,
        ca_name,
        subject,
        key.public_key(),
        [
            (x509.SubjectAlternativeName([x509.DNSName(hostname)]), False),
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False),
        ],
    )
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(leaf.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def _certificate(signer, issuer, subject, public_key, extensions):
    """One certificate valid from an hour ago for a day, signed by ``signer``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = dt.datetime.now(dt.UTC)
    builder = x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
    builder = builder.public_key(public_key).serial_number(x509.random_serial_number())
    builder = builder.not_valid_before(now - dt.timedelta(hours=1))
    builder = builder.not_valid_after(now + dt.timedelta(days=1))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(signer, hashes.SHA256())


class TlsSite:
    """Answers every GET with 200 ``hello``; records the SNI names and the paths asked."""

    def __init__(self, cert: Path, key: Path):
        self.names: list[str | None] = []
        self.paths: list[str] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda _sock, name, _ctx: self.names.append(name)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"hello")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_site(tmp_path, monkeypatch, request):
    """A TLS site whose certificate names ``request.param``; the client trusts its CA."""
    ca, cert, key = write_certs(tmp_path, request.param)
    monkeypatch.setattr(
        httpx, "create_ssl_context", lambda **_: ssl.create_default_context(cafile=str(ca))
    )
    site = TlsSite(cert, key)
    yield site
    site.close()


@pytest.mark.parametrize("tls_site", ["site.test"], indirect=True)
def test_https_to_a_pinned_address_keeps_sni_and_the_certificate_check(tls_site, monkeypatch):
    asked = rebinding_dns(monkeypatch, "site.test", "127.0.0.1", "198.51.100.9")
    fetcher = Fetcher(allow_private=True, min_interval_s=0)
    response = fetcher.get(f"https://site.test:{tls_site.port}/page")
    fetcher.close()
    assert (response.status, response.body) == (200, b"hello")
    assert tls_site.paths == ["/robots.txt", "/page"] and asked == ["site.test"]
    assert tls_site.names and set(tls_site.names) == {"site.test"}  # SNI: the hostname


@pytest.mark.parametrize("tls_site", ["other.test"], indirect=True)
def test_a_certificate_for_another_name_is_refused(tls_site, monkeypatch):
    rebinding_dns(monkeypatch, "site.test", "127.0.0.1", "127.0.0.1")
    url = f"https://site.test:{tls_site.port}/page"
    with pytest.raises(FetchError, match=r"ConnectError: .*CERTIFICATE_VERIFY_FAILED.*site\.test"):
        Fetcher(allow_private=True, min_interval_s=0).get(url)
    assert tls_site.paths == []

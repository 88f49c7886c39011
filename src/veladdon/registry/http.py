"""GET over HTTP(S) for registries, with the standard library (`urllib.request` + `ssl`): basic auth, a
CA bundle, skip-verify, a timeout on every request and a size limit on every answer.

The standard library is enough for this, and it keeps `veladdon.registry` free of `requests` (which
only arrives with `kubernetes`, a layer this package must not depend on). One choice differs from
upstream, for safety: basic-auth credentials go only to the registry's own scheme/host/port (Helm's
default without `--pass-credentials`), also across redirects (`origin`).
"""

from __future__ import annotations

import base64
import http.client
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from veladdon import __version__
from veladdon.errors import InputError
from veladdon.registry.model import RegistryError

DEFAULT_TIMEOUT = 30.0  # seconds per connect/read; a whole download is bounded by 10x this


@dataclass(frozen=True)
class HttpOptions:
    username: str = ""
    password: str = ""
    ca_file: str = ""
    insecure_skip_tls: bool = False
    timeout: float = DEFAULT_TIMEOUT


def origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{(parts.hostname or '').lower()}:{port}"


class _SameOriginAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but drop the Authorization header when one leaves the original origin."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _ssl_context(opts: HttpOptions) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=opts.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            f"cannot use CA file {opts.ca_file}: {exc}", path=opts.ca_file, hint="give a PEM CA bundle"
        ) from exc
    if opts.insecure_skip_tls:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http_get(url: str, opts: HttpOptions, *, send_auth: bool, limit: int) -> bytes:
    """GET `url` (at most `limit` bytes); RegistryError saying what failed and what to try."""
    request = urllib.request.Request(url, headers={"User-Agent": f"veladdon/{__version__}"})
    if send_auth and (opts.username or opts.password):
        token = base64.b64encode(f"{opts.username}:{opts.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    handlers: list[urllib.request.BaseHandler] = [_SameOriginAuthRedirect()]
    if url.startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=_ssl_context(opts)))
    opener = urllib.request.build_opener(*handlers)
    deadline = time.monotonic() + opts.timeout * 10
    try:
        with opener.open(request, timeout=opts.timeout) as response:
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise RegistryError(f"{url} is larger than {limit // (1024 * 1024)} MiB")
                if time.monotonic() > deadline:
                    raise RegistryError(f"{url}: download took longer than {opts.timeout * 10:.0f}s")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        hint = "check the username and password" if exc.code in (401, 403) else None
        raise RegistryError(f"{url}: HTTP {exc.code} {exc.reason}", hint=hint) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise RegistryError(
                f"{url}: TLS certificate not trusted ({reason.verify_message})",
                hint="give the registry's CA with --ca-file, or --insecure-skip-tls",
            ) from None
        if isinstance(reason, TimeoutError):
            raise RegistryError(f"{url}: no answer within {opts.timeout:.0f}s") from None
        raise RegistryError(f"{url}: {reason}") from None
    except TimeoutError:
        raise RegistryError(f"{url}: no answer within {opts.timeout:.0f}s") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise RegistryError(f"{url}: {exc}") from None


def is_remote(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("http", "https")

"""Shared helpers for Osprey's end-to-end scenarios (imported by the scenario scripts).

The Swift harness (ServerProcess.swift) runs each scenario with the venv's python and sets:
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_CONFIG_FILE=/dev/null,
AWS_SHARED_CREDENTIALS_FILE=/dev/null, HOME=<scratch>, OSPREY_DATA_DIR and OSPREY_E2E_SCRATCH.
Scenarios use plain asserts; `run(main)` turns a failed assert into a message and exit status 1.
"""

import datetime
import hashlib
import http.client
import io
import json
import os
import re
import sys
import tarfile
import traceback
import urllib.parse
import uuid
from unittest import mock

import boto3
import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
DATA_DIR = os.environ.get("OSPREY_DATA_DIR", "")
SCRATCH = os.environ.get("OSPREY_E2E_SCRATCH") or os.getcwd()
_HOSTPORT = urllib.parse.urlsplit(ENDPOINT).netloc


def ok(message):
    print(f"ok: {message}", flush=True)


def note(message):
    """A deviation from S3 that the contract does not require: reported, not failed."""
    print(f"NOTE: {message}", flush=True)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def s3_client(key_id=None, secret=None, **config):
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}, **config)
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key_id or KEY_ID,
        aws_secret_access_key=secret or SECRET,
        config=cfg,
    )


def code_archive(inference):
    """A model.tar.gz holding only code/inference.py with the given source."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = inference.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def recorded_events(after=0, idle=2.0):
    """The account's events after id `after`, as GET /api/v1/events streams them (parsed `data:` lines), read until the
    stream has been silent for `idle` seconds."""
    url = urllib.parse.urlsplit(ENDPOINT)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=idle)
    try:
        connection.request("GET", f"/api/v1/events?after={after}", headers={"Authorization": f"Bearer {SECRET}"})
        response = connection.getresponse()
        assert response.status == 200, (response.status, response.read())
        events = []
        while True:
            try:
                line = response.readline()
            except TimeoutError:
                return events
            if not line:
                return events
            if line.startswith(b"data: "):
                events.append(json.loads(line[len(b"data: "):]))
    finally:
        connection.close()


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def client_error(fn, *args, **kwargs):
    """Calls fn and returns its ClientError; fails when it succeeds."""
    try:
        result = fn(*args, **kwargs)
    except ClientError as error:
        return error
    raise AssertionError(f"{getattr(fn, '__name__', fn)} succeeded but an error was expected: {result!r:.300}")


def expect_error(code, status, fn, *args, **kwargs):
    error = client_error(fn, *args, **kwargs)
    got_code = error.response.get("Error", {}).get("Code")
    got_status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert got_code == code and (status is None or got_status == status), (
        f"{getattr(fn, '__name__', fn)}: expected {code} ({status}), got {got_code} ({got_status}): {error.response!r:.600}"
    )
    return error


def error_code(body):
    match = re.search(rb"<Code>([^<]*)</Code>", body or b"")
    return match.group(1).decode() if match else None


def quote_key(key):
    return urllib.parse.quote(key, safe="/~")


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def code(self):
        return error_code(self.body)

    def __repr__(self):
        return f"HTTP {self.status} {self.headers!r:.300} {self.body[:600]!r}"


def sign(method, path, query="", headers=None, body=b"", *, key_id=None, secret=None, when=None, unsigned_payload=False,
         service="s3"):
    """Signs a request as botocore's S3 signer does; returns (path?query, headers) ready to send.

    `path` must already be URL-encoded; `when` (a UTC datetime) replaces the signer's clock.
    """
    url = ENDPOINT + path + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if unsigned_payload:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    signer = botocore.auth.S3SigV4Auth(Credentials(key_id or KEY_ID, secret or SECRET), service, REGION)
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
            signer.add_auth(request)
    prepared = request.prepare()
    target = path + (f"?{query}" if query else "")
    return target, dict(prepared.headers.items())


def signed_request(method, path, query="", headers=None, body=b"", *, timeout=30, **sign_args):
    """Sends one SigV4-signed request over a new connection and returns a Response."""
    target, signed_headers = sign(method, path, query, headers, body, **sign_args)
    return send(method, target, signed_headers, body, timeout=timeout)


def send(method, target, headers, body=b"", *, timeout=30):
    conn = http.client.HTTPConnection(_HOSTPORT, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return Response(response.status, dict(response.getheaders()), data)
    finally:
        conn.close()


def skewed(minutes):
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(minutes=minutes)


def boto3_over_https_trailers():
    """Makes botocore send PutObject/UploadPart as it does over https: aws-chunked bodies with a trailing
    x-amz-checksum-crc32 and STREAMING-UNSIGNED-PAYLOAD-TRAILER (over http it signs the payload instead)."""
    import botocore.httpchecksum as httpchecksum

    original = httpchecksum.urlparse

    def as_https(url, *args, **kwargs):
        parts = original(url, *args, **kwargs)
        return parts._replace(scheme="https") if parts.scheme == "http" else parts

    return mock.patch.object(httpchecksum, "urlparse", as_https)


_FAILED_SECTIONS = []


class section:
    """`with section("name"):` runs a group of independent checks; a failure is reported and the scenario goes
    on with the next group (it still exits 1 at the end)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if error is None or not isinstance(error, Exception):
            return False
        traceback.print_exception(kind, error, tb)
        print(f"FAILED [{self.name}] at {_where(error)}: {str(error)[:3000]}", flush=True)
        _FAILED_SECTIONS.append(self.name)
        return True


def _where(error):
    """The innermost line of a scenario script (not this module or a library) that the error passed through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.dirname(os.path.realpath(f.filename)) == _HERE]
    frames = [f for f in frames if not f.filename.endswith("e2e.py")] or frames
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno} `{(frame.line or '').strip()}`"


_HERE = os.path.dirname(os.path.realpath(__file__))


def run(main):
    """Runs a scenario: exit 0 when it returns, 1 with the failed check when an assert fails."""
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}, endpoint {ENDPOINT}", flush=True)
    try:
        main()
    except AssertionError as error:
        traceback.print_exc()
        print(f"FAILED at {_where(error)}: {str(error)[:3000]}", flush=True)
        sys.exit(1)
    except Exception as error:  # an unexpected client exception is a failure too, with its traceback
        traceback.print_exc()
        print(f"FAILED at {_where(error)} with {type(error).__name__}: {str(error)[:3000]}", flush=True)
        sys.exit(1)
    if _FAILED_SECTIONS:
        print(f"FAILED sections: {', '.join(_FAILED_SECTIONS)}", flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)

"""Restart durability, in phases driven by the Swift harness:

  write   create a bucket, write, overwrite and delete objects (one multipart), leave a multipart upload open,
          record what must survive in scratch/manifest.json, then stream a large PUT slowly in a background
          thread and touch scratch/streaming once it is under way; the harness kill -9s the server meanwhile.
          Exits 0 once the stream broke (the server died mid-upload).
  verify  after the restart: every acknowledged object is intact (SHA-256, ETag, metadata), the interrupted
          PUT is absent (HeadObject 404), listings are exactly the acknowledged keys, the open multipart
          upload is either gone or consistent and abortable, and the server takes new writes.
"""

import hashlib
import http.client
import json
import os
import sys
import threading
import time

from boto3.s3.transfer import TransferConfig

from e2e import SCRATCH, _HOSTPORT, client_error, note, ok, run, s3_client, sign

MIB = 1024 * 1024
BUCKET = os.environ.get("OSPREY_E2E_BUCKET", "durable")
MANIFEST = os.path.join(SCRATCH, "manifest.json")
STREAMING = os.path.join(SCRATCH, "streaming")
PARTIAL_KEY = "partial/slow-upload.bin"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def write_phase():
    s3 = s3_client()
    s3.create_bucket(Bucket=BUCKET)
    manifest = {}
    for i in range(12):
        key = f"objects/{i:02d}.bin"
        data = os.urandom(1000 + i * 4096)
        etag = s3.put_object(Bucket=BUCKET, Key=key, Body=data, Metadata={"index": str(i)})["ETag"]
        manifest[key] = {"sha256": sha(data), "etag": etag, "size": len(data), "metadata": {"index": str(i)}}
    data = b"version two"
    s3.put_object(Bucket=BUCKET, Key="objects/00.bin", Body=b"version one")
    etag = s3.put_object(Bucket=BUCKET, Key="objects/00.bin", Body=data)["ETag"]
    manifest["objects/00.bin"] = {"sha256": sha(data), "etag": etag, "size": len(data), "metadata": {}}
    s3.delete_object(Bucket=BUCKET, Key="objects/11.bin")
    del manifest["objects/11.bin"]
    big = os.path.join(SCRATCH, "big.bin")
    big_data = os.urandom(20 * MIB)
    with open(big, "wb") as f:
        f.write(big_data)
    s3.upload_file(big, BUCKET, "objects/big.bin", Config=TransferConfig(multipart_chunksize=8 * MIB))
    head = s3.head_object(Bucket=BUCKET, Key="objects/big.bin")
    assert head["ETag"].endswith('-3"'), head["ETag"]
    manifest["objects/big.bin"] = {"sha256": sha(big_data), "etag": head["ETag"], "size": len(big_data), "metadata": {}}
    os.remove(big)
    ok(f"wrote {len(manifest)} acknowledged objects (one overwritten, one deleted, one multipart)")

    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="open/upload.bin")["UploadId"]
    part = os.urandom(5 * MIB)
    part_etag = s3.upload_part(Bucket=BUCKET, Key="open/upload.bin", UploadId=upload_id, PartNumber=1, Body=part)["ETag"]
    with open(MANIFEST, "w") as f:
        json.dump({"objects": manifest, "open_upload": {"key": "open/upload.bin", "id": upload_id,
                                                        "etag": part_etag, "size": len(part)}}, f)
    ok("left a multipart upload open with one 5 MiB part; manifest written")

    outcome = {}
    thread = threading.Thread(target=slow_put, args=(outcome,), daemon=True)
    thread.start()
    thread.join(timeout=180)
    if thread.is_alive():
        raise AssertionError("the slow PUT was still streaming after 180 s: the server was not killed")
    if "error" in outcome:
        ok(f"the slow PUT broke after {outcome['sent'] // MIB} MiB as the server died: {outcome['error']}")
        return
    raise AssertionError(f"the slow PUT finished while it should have been interrupted: {outcome}")


def slow_put(outcome):
    total = 256 * MIB
    target, headers = sign("PUT", f"/{BUCKET}/{PARTIAL_KEY}", headers={"Content-Length": str(total)},
                           unsigned_payload=True)
    headers["Content-Length"] = str(total)
    chunk = os.urandom(256 * 1024)
    sent = 0
    conn = http.client.HTTPConnection(_HOSTPORT, timeout=30)
    try:
        conn.putrequest("PUT", target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if "host" not in {h.lower() for h in headers}:
            conn.putheader("Host", _HOSTPORT)
        conn.endheaders()
        deadline = time.monotonic() + 170
        while sent < total and time.monotonic() < deadline:
            conn.send(chunk)
            sent += len(chunk)
            if sent == 4 * MIB:
                open(STREAMING, "w").close()
            if sent >= 4 * MIB:
                time.sleep(0.05)
        response = conn.getresponse()
        outcome.update(status=response.status, body=response.read()[:500], sent=sent)
    except (OSError, http.client.HTTPException) as error:
        outcome.update(error=repr(error), sent=sent)
    finally:
        conn.close()


def verify_phase():
    s3 = s3_client()
    with open(MANIFEST) as f:
        recorded = json.load(f)
    manifest = recorded["objects"]
    assert BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]], "the bucket is gone"
    for key, expected in sorted(manifest.items()):
        got = s3.get_object(Bucket=BUCKET, Key=key)
        data = got["Body"].read()
        assert sha(data) == expected["sha256"], f"{key}: content differs after the restart ({len(data)} bytes)"
        assert got["ETag"] == expected["etag"], (key, got["ETag"], expected["etag"])
        assert got["ContentLength"] == expected["size"], (key, got["ContentLength"])
        assert got["Metadata"] == expected["metadata"], (key, got["Metadata"])
    ok(f"all {len(manifest)} acknowledged objects are intact (SHA-256, ETag, size, metadata)")

    error = client_error(s3.head_object, Bucket=BUCKET, Key=PARTIAL_KEY)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404, error.response
    ok("the PUT interrupted by kill -9 is absent (HeadObject 404)")
    error = client_error(s3.head_object, Bucket=BUCKET, Key="objects/11.bin")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "a deleted object came back"
    ok("the deleted object stays deleted")

    listed = [o for p in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET) for o in p.get("Contents", [])]
    assert sorted(o["Key"] for o in listed) == sorted(manifest), sorted(o["Key"] for o in listed)
    for o in listed:
        assert o["Size"] == manifest[o["Key"]]["size"] and o["ETag"] == manifest[o["Key"]]["etag"], o
    v1 = [o["Key"] for o in s3.list_objects(Bucket=BUCKET).get("Contents", [])]
    assert sorted(v1) == sorted(manifest), v1
    ok("ListObjectsV2 and ListObjects list exactly the acknowledged keys with their sizes and ETags")

    upload = recorded["open_upload"]
    uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    if any(u["UploadId"] == upload["id"] for u in uploads):
        parts = s3.list_parts(Bucket=BUCKET, Key=upload["key"], UploadId=upload["id"])["Parts"]
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, upload["etag"], upload["size"])], parts
        ok("the open multipart upload was kept with its part")
    else:
        note("the open multipart upload was dropped by the restart (allowed)")
    stray = [u for u in uploads if u["UploadId"] != upload["id"]]
    assert not stray, f"unexpected multipart uploads after the restart: {stray}"

    key = f"after-restart/{time.time_ns()}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"still writable")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"still writable"
    s3.delete_object(Bucket=BUCKET, Key=key)
    ok("the restarted server takes new writes")


def finish_phase():
    """After a second (graceful) restart: everything is still there; the open upload can be aborted."""
    verify_phase()
    s3 = s3_client()
    with open(MANIFEST) as f:
        upload = json.load(f)["open_upload"]
    uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    if any(u["UploadId"] == upload["id"] for u in uploads):
        s3.abort_multipart_upload(Bucket=BUCKET, Key=upload["key"], UploadId=upload["id"])
        assert not s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads"), "abort left the upload listed"
        ok("the kept multipart upload is abortable")


if __name__ == "__main__":
    phase = sys.argv[1] if len(sys.argv) > 1 else ""
    phases = {"write": write_phase, "verify": verify_phase, "finish": finish_phase}
    if phase not in phases:
        sys.exit(f"usage: {sys.argv[0]} write|verify|finish")
    run(phases[phase])

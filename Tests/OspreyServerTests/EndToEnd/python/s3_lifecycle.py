"""Bucket and object life cycle with boto3: create, head, put (metadata, content type), get, head, copy,
list v1/v2, delete, delete-objects, BucketNotEmpty, delete bucket; plus boto3's https-style aws-chunked upload."""

import os
import io

from e2e import (
    boto3_over_https_trailers, client_error, expect_error, md5_hex, ok, run, s3_client, unique,
)


def main():
    s3 = s3_client()
    bucket = unique("life")
    other = unique("life-copy")

    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=other)
    ok(f"created buckets {bucket}, {other}")
    head = s3.head_bucket(Bucket=bucket)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200, head
    ok("HeadBucket 200")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket in names and other in names, names
    ok("ListBuckets lists both")
    # Creating a bucket one already owns: AWS answers BucketAlreadyOwnedByYou (or 200 in us-east-1).
    try:
        s3.create_bucket(Bucket=bucket)
        ok("CreateBucket again: 200 (us-east-1 legacy behaviour)")
    except Exception as error:  # noqa: BLE001
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        assert code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"), error
        ok(f"CreateBucket again: {code}")

    body = b"hello osprey\n" * 1000
    put = s3.put_object(
        Bucket=bucket, Key="docs/readme.txt", Body=body,
        ContentType="text/plain; charset=utf-8", Metadata={"color": "blue", "owner-team": "ml"},
    )
    assert put["ETag"] == f'"{md5_hex(body)}"', (put["ETag"], md5_hex(body))
    ok("PutObject ETag is the MD5 of the body")

    got = s3.get_object(Bucket=bucket, Key="docs/readme.txt")
    data = got["Body"].read()
    assert data == body, (len(data), len(body))
    assert got["ContentType"] == "text/plain; charset=utf-8", got["ContentType"]
    assert got["Metadata"] == {"color": "blue", "owner-team": "ml"}, got["Metadata"]
    assert got["ContentLength"] == len(body), got["ContentLength"]
    assert got["ETag"] == put["ETag"], got["ETag"]
    assert got.get("LastModified") is not None
    ok("GetObject returns body, content type, metadata, length, ETag, LastModified")

    head = s3.head_object(Bucket=bucket, Key="docs/readme.txt")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"], head
    assert head["ContentType"] == "text/plain; charset=utf-8" and head["Metadata"]["color"] == "blue", head
    ok("HeadObject agrees")

    # Keys that need URL encoding, an empty object, and a nested key.
    odd_keys = {
        "dir/ünïcødé key+plus&amp=.txt": b"unicode",
        "spaces in/the name.bin": b"spaces",
        "empty": b"",
        "a/b/c/d/e.json": b'{"x": 1}',
    }
    for key, value in odd_keys.items():
        s3.put_object(Bucket=bucket, Key=key, Body=value)
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == value, key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(value), key
    ok(f"odd keys round-trip: {list(odd_keys)}")

    # Copy within a bucket keeps metadata (COPY), REPLACE sets new metadata, copy across buckets.
    copy = s3.copy_object(Bucket=bucket, Key="docs/copy.txt", CopySource={"Bucket": bucket, "Key": "docs/readme.txt"})
    assert copy["CopyObjectResult"]["ETag"] == put["ETag"], copy
    copied = s3.head_object(Bucket=bucket, Key="docs/copy.txt")
    assert copied["Metadata"] == {"color": "blue", "owner-team": "ml"}, copied["Metadata"]
    assert copied["ContentType"] == "text/plain; charset=utf-8", copied["ContentType"]
    s3.copy_object(
        Bucket=other, Key="replaced.txt", CopySource={"Bucket": bucket, "Key": "docs/readme.txt"},
        MetadataDirective="REPLACE", Metadata={"stage": "prod"}, ContentType="application/octet-stream",
    )
    replaced = s3.get_object(Bucket=other, Key="replaced.txt")
    assert replaced["Body"].read() == body
    assert replaced["Metadata"] == {"stage": "prod"}, replaced["Metadata"]
    assert replaced["ContentType"] == "application/octet-stream", replaced["ContentType"]
    ok("CopyObject: COPY keeps metadata, REPLACE replaces it, across buckets")
    expect_error("NoSuchKey", 404, s3.copy_object, Bucket=bucket, Key="x",
                 CopySource={"Bucket": bucket, "Key": "does/not/exist"})
    ok("CopyObject from a missing key: NoSuchKey")

    expected = sorted(["docs/readme.txt", "docs/copy.txt", *odd_keys])
    v2 = s3.list_objects_v2(Bucket=bucket)
    keys = [o["Key"] for o in v2.get("Contents", [])]
    assert keys == expected, (keys, expected)
    assert v2["KeyCount"] == len(expected) and not v2["IsTruncated"], v2
    sizes = {o["Key"]: o["Size"] for o in v2["Contents"]}
    assert sizes["docs/readme.txt"] == len(body) and sizes["empty"] == 0, sizes
    etags = {o["Key"]: o["ETag"] for o in v2["Contents"]}
    assert etags["docs/readme.txt"] == put["ETag"], etags
    ok("ListObjectsV2 lists every key in order with sizes and ETags")
    v1 = s3.list_objects(Bucket=bucket)
    assert [o["Key"] for o in v1.get("Contents", [])] == expected, v1
    assert not v1["IsTruncated"], v1
    ok("ListObjects (v1) agrees")
    prefixed = s3.list_objects_v2(Bucket=bucket, Prefix="docs/")
    assert [o["Key"] for o in prefixed["Contents"]] == ["docs/copy.txt", "docs/readme.txt"], prefixed
    ok("ListObjectsV2 with a prefix")

    # boto3 over https sends aws-chunked bodies with a trailing CRC32; Osprey must take them over http too.
    with boto3_over_https_trailers():
        chunked = s3_client()
        payload = bytes(range(256)) * 4096 + b"tail"
        result = chunked.put_object(Bucket=bucket, Key="chunked/object.bin", Body=io.BytesIO(payload))
        assert result["ETag"] == f'"{md5_hex(payload)}"', result
        upload = chunked.create_multipart_upload(Bucket=bucket, Key="chunked/multipart.bin")
        part1 = payload * 5  # > 5 MiB
        r1 = chunked.upload_part(Bucket=bucket, Key="chunked/multipart.bin", UploadId=upload["UploadId"],
                                 PartNumber=1, Body=io.BytesIO(part1))
        r2 = chunked.upload_part(Bucket=bucket, Key="chunked/multipart.bin", UploadId=upload["UploadId"],
                                 PartNumber=2, Body=io.BytesIO(b"last part"))
        chunked.complete_multipart_upload(
            Bucket=bucket, Key="chunked/multipart.bin", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r1["ETag"]}, {"PartNumber": 2, "ETag": r2["ETag"]}]},
        )
    assert s3.get_object(Bucket=bucket, Key="chunked/object.bin")["Body"].read() == payload
    assert s3.get_object(Bucket=bucket, Key="chunked/multipart.bin")["Body"].read() == part1 + b"last part"
    got = s3.get_object(Bucket=bucket, Key="chunked/object.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == payload
    ok("aws-chunked uploads with a CRC32 trailer (PutObject, UploadPart) store the decoded bytes")
    for key in ("chunked/object.bin", "chunked/multipart.bin"):
        s3.delete_object(Bucket=bucket, Key=key)

    # Delete one, then many.
    s3.delete_object(Bucket=bucket, Key="docs/copy.txt")
    expect_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="docs/copy.txt")
    error = client_error(s3.head_object, Bucket=bucket, Key="docs/copy.txt")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404, error.response
    ok("DeleteObject; GetObject is NoSuchKey, HeadObject 404")
    gone = s3.delete_object(Bucket=bucket, Key="never/existed")
    assert gone["ResponseMetadata"]["HTTPStatusCode"] == 204, gone
    ok("DeleteObject of a missing key: 204")

    expect_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=bucket)
    assert s3.head_object(Bucket=bucket, Key="docs/readme.txt")["ContentLength"] == len(body)
    ok("DeleteBucket on a non-empty bucket: BucketNotEmpty 409, nothing deleted")

    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": k} for k in remaining] + [{"Key": "not-there"}]}
    )
    deleted = sorted(d["Key"] for d in result.get("Deleted", []))
    assert deleted == sorted(remaining + ["not-there"]), result
    assert not result.get("Errors"), result
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    ok(f"DeleteObjects removed {len(remaining)} keys (a missing key counts as deleted)")
    quiet = s3.delete_objects(Bucket=other, Delete={"Objects": [{"Key": "replaced.txt"}], "Quiet": True})
    assert not quiet.get("Deleted") and not quiet.get("Errors"), quiet
    ok("DeleteObjects Quiet answers no Deleted entries")

    for name in (bucket, other):
        s3.delete_bucket(Bucket=name)
        error = client_error(s3.head_bucket, Bucket=name)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404, error.response
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket not in names and other not in names, names
    expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=bucket)
    expect_error("NoSuchBucket", 404, s3.put_object, Bucket=bucket, Key="k", Body=b"x")
    ok("DeleteBucket; HeadBucket 404; the bucket is gone from ListBuckets; NoSuchBucket afterwards")

    # One signed single-stream PUT larger than any buffer: the body is hashed as it streams, never held whole.
    big_bucket = bucket + "-big"
    s3.create_bucket(Bucket=big_bucket)
    payload = os.urandom(40 * 1024 * 1024)
    s3.put_object(Bucket=big_bucket, Key="big", Body=payload)
    assert s3.get_object(Bucket=big_bucket, Key="big")["Body"].read() == payload
    s3.delete_object(Bucket=big_bucket, Key="big")
    s3.delete_bucket(Bucket=big_bucket)
    ok("a 40 MiB signed single put_object round-trips")


if __name__ == "__main__":
    run(main)

"""Multipart: boto3 upload_file of a 100 MiB file and download_file back (hashes equal, ETag '-N');
a manual multipart upload with ListParts, ListMultipartUploads, Complete (ETag computed as S3 does) and Abort."""

import hashlib
import os

from boto3.s3.transfer import TransferConfig

from e2e import SCRATCH, expect_error, md5_hex, ok, run, s3_client, sha256_file, unique

MIB = 1024 * 1024


def main():
    s3 = s3_client()
    bucket = unique("multi")
    s3.create_bucket(Bucket=bucket)

    # 1. upload_file / download_file of 100 MiB (boto3's default: 8 MiB parts, 10 threads).
    source = os.path.join(SCRATCH, "big.bin")
    with open(source, "wb") as f:
        block = os.urandom(MIB)
        for i in range(100):
            f.write(block[: MIB - 1] + bytes([i]))  # cheap to make, no two MiB alike
    config = TransferConfig()
    s3.upload_file(source, bucket, "big/file.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    parts = -(-100 * MIB // config.multipart_chunksize)
    assert head["ContentLength"] == 100 * MIB, head["ContentLength"]
    assert head["ETag"].strip('"').endswith(f"-{parts}"), (head["ETag"], parts)
    ok(f"upload_file of 100 MiB: ETag {head['ETag']} ends with -{parts}")
    target = os.path.join(SCRATCH, "big.down")
    s3.download_file(bucket, "big/file.bin", target, Config=config)
    assert sha256_file(target) == sha256_file(source), "downloaded bytes differ"
    ok("download_file returns the same SHA-256")
    os.remove(target)
    os.remove(source)
    s3.delete_object(Bucket=bucket, Key="big/file.bin")

    # 2. Manual multipart upload.
    key = "manual/object.bin"
    part1 = os.urandom(5 * MIB)
    part2 = os.urandom(1024)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-test",
                                           Metadata={"origin": "manual"})["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=part2)["ETag"]
    assert e1 == f'"{md5_hex(part1)}"' and e2 == f'"{md5_hex(part2)}"', (e1, e2)
    ok("UploadPart ETags are the parts' MD5s")

    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    got = [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]]
    assert got == [(1, e1, len(part1)), (2, e2, len(part2))], got
    ok("ListParts lists both parts with ETags and sizes")
    page = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, MaxParts=1)
    assert [p["PartNumber"] for p in page["Parts"]] == [1] and page["IsTruncated"], page
    rest = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=page["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in rest["Parts"]] == [2], rest
    ok("ListParts pages with MaxParts / PartNumberMarker")

    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert any(u["UploadId"] == upload_id and u["Key"] == key for u in uploads), uploads
    ok("ListMultipartUploads lists the upload")
    # An object is not visible before completion.
    assert s3.list_objects_v2(Bucket=bucket, Prefix="manual/")["KeyCount"] == 0
    ok("an incomplete upload is not listed as an object")

    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    expected_etag = '"' + hashlib.md5(bytes.fromhex(md5_hex(part1)) + bytes.fromhex(md5_hex(part2))).hexdigest() + '-2"'
    assert done["ETag"] == expected_etag, (done["ETag"], expected_etag)
    obj = s3.get_object(Bucket=bucket, Key=key)
    assert obj["Body"].read() == part1 + part2
    assert obj["ETag"] == expected_etag and obj["ContentLength"] == len(part1) + len(part2), obj
    assert obj["ContentType"] == "application/x-test" and obj["Metadata"] == {"origin": "manual"}, obj
    ok(f"CompleteMultipartUpload: ETag {expected_etag} (MD5 of part MD5s), body, type and metadata")
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert not any(u["UploadId"] == upload_id for u in uploads), uploads
    ok("the completed upload is no longer listed")

    # 3. Abort.
    abort_id = s3.create_multipart_upload(Bucket=bucket, Key="manual/aborted.bin")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="manual/aborted.bin", UploadId=abort_id, PartNumber=1, Body=b"x" * 1024)
    s3.abort_multipart_upload(Bucket=bucket, Key="manual/aborted.bin", UploadId=abort_id)
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert not any(u["UploadId"] == abort_id for u in uploads), uploads
    expect_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key="manual/aborted.bin", UploadId=abort_id)
    expect_error("NoSuchUpload", 404, s3.upload_part, Bucket=bucket, Key="manual/aborted.bin", UploadId=abort_id,
                 PartNumber=2, Body=b"y")
    expect_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="manual/aborted.bin")
    ok("AbortMultipartUpload: gone from the listing, ListParts/UploadPart NoSuchUpload, no object")

    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)
    ok("cleaned up")


if __name__ == "__main__":
    run(main)

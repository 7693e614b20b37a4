"""Pagination over 2,500 keys (written by 16 threads): ListObjectsV2 with MaxKeys 1000 (3 pages, continuation
tokens), with a delimiter (common prefixes), with small pages across prefixes, StartAfter; ListObjects v1
with Marker; then DeleteObjects in batches of 1000."""

from concurrent.futures import ThreadPoolExecutor

from e2e import ok, run, s3_client, unique

DIRS = 5
PER_DIR = 480
TOP = 100  # keys without a delimiter, at the top level


def main():
    s3 = s3_client(max_pool_connections=16)
    bucket = unique("pages")
    s3.create_bucket(Bucket=bucket)
    keys = [f"dir{d}/key{i:05d}" for d in range(DIRS) for i in range(PER_DIR)] + [f"top{i:04d}" for i in range(TOP)]
    assert len(keys) == 2500
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
    ok("wrote 2,500 keys with 16 threads")
    expected = sorted(keys)

    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}))
    counts = [len(p.get("Contents", [])) for p in pages]
    assert counts == [1000, 1000, 500], counts
    assert [p["KeyCount"] for p in pages] == counts, [p["KeyCount"] for p in pages]
    assert [p["IsTruncated"] for p in pages] == [True, True, False], [p["IsTruncated"] for p in pages]
    assert all(p.get("NextContinuationToken") for p in pages[:2]) and not pages[2].get("NextContinuationToken")
    listed = [o["Key"] for p in pages for o in p["Contents"]]
    assert listed == expected, "ListObjectsV2 pages are not the sorted key set"
    ok("ListObjectsV2 MaxKeys 1000: pages of 1000, 1000, 500 in order, continuation tokens")

    default = s3.list_objects_v2(Bucket=bucket)
    assert default["KeyCount"] == 1000 and default["IsTruncated"] and default["MaxKeys"] == 1000, default["KeyCount"]
    ok("ListObjectsV2 without MaxKeys answers at most 1000")

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=1000)
    prefixes = [p["Prefix"] for p in top.get("CommonPrefixes", [])]
    assert prefixes == [f"dir{d}/" for d in range(DIRS)], prefixes
    assert [o["Key"] for o in top["Contents"]] == [k for k in expected if k.startswith("top")], len(top["Contents"])
    assert top["KeyCount"] == DIRS + TOP and not top["IsTruncated"], (top["KeyCount"], top["IsTruncated"])
    ok(f"Delimiter '/': {DIRS} common prefixes and {TOP} top-level keys, KeyCount {DIRS + TOP}")

    seen_prefixes, seen_keys = [], []
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/",
                                                               PaginationConfig={"PageSize": 2}))
    for page in pages:
        assert page["KeyCount"] <= 2, page["KeyCount"]
        seen_prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        seen_keys += [o["Key"] for o in page.get("Contents", [])]
    assert seen_prefixes == [f"dir{d}/" for d in range(DIRS)], seen_prefixes
    assert seen_keys == [k for k in expected if k.startswith("top")], len(seen_keys)
    ok(f"Delimiter with MaxKeys 2: {len(pages)} pages, each prefix once, every top-level key once")

    inner = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="dir3/", Delimiter="/",
                                                               PaginationConfig={"PageSize": 1000}))
    inner_keys = [o["Key"] for p in inner for o in p.get("Contents", [])]
    assert inner_keys == [k for k in expected if k.startswith("dir3/")] and len(inner_keys) == PER_DIR, len(inner_keys)
    ok("Prefix dir3/ with delimiter: its 480 keys, no prefixes")

    after = s3.list_objects_v2(Bucket=bucket, StartAfter="dir4/key00470")
    assert [o["Key"] for o in after["Contents"]][:10] == [k for k in expected if k > "dir4/key00470"][:10], after
    assert after["KeyCount"] == len([k for k in expected if k > "dir4/key00470"]), after["KeyCount"]
    ok("StartAfter starts strictly after the given key")

    v1_pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}))
    v1_keys = [o["Key"] for p in v1_pages for o in p.get("Contents", [])]
    assert v1_keys == expected and len(v1_pages) == 3, (len(v1_keys), len(v1_pages))
    ok("ListObjects (v1) pages with Marker over the same 2,500 keys")
    v1_delim = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=3)
    assert v1_delim["IsTruncated"] and v1_delim.get("NextMarker"), v1_delim
    ok("ListObjects (v1) with a delimiter and MaxKeys 3 is truncated and gives NextMarker")

    for start in range(0, len(expected), 1000):
        batch = expected[start:start + 1000]
        result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
        assert not result.get("Errors"), result.get("Errors")[:3]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
    ok("DeleteObjects in batches of 1000 emptied the bucket; bucket deleted")


if __name__ == "__main__":
    run(main)

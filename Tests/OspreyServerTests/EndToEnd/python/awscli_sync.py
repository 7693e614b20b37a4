"""awscli: `aws s3 sync` a folder tree up and back down (both ways, trees compared), incremental sync and
--delete, `aws s3 ls`, `aws s3 cp` up, down and to stdout, `aws s3 rb --force`."""

import os
import shutil
import subprocess
import sys

from e2e import SCRATCH, ok, run, s3_client, unique

AWS = os.path.join(os.path.dirname(sys.executable), "aws")


def aws(*args, check=True, stdin=None):
    result = subprocess.run([AWS, *args], capture_output=True, timeout=300, input=stdin)
    out, err = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    if check and result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} exited {result.returncode}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}")
    return result.returncode, out, err


def tree(root):
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = f.read()
    return files


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    s3 = s3_client()
    bucket = unique("cli")
    up = os.path.join(SCRATCH, "up")
    down = os.path.join(SCRATCH, "down")
    for d in (up, down):
        shutil.rmtree(d, ignore_errors=True)

    _, out, _ = aws("--version")
    ok(f"awscli: {out.strip() or 'version printed on stderr'}")
    aws("s3", "mb", f"s3://{bucket}")
    _, out, _ = aws("s3", "ls")
    assert bucket in out, out
    ok("aws s3 mb, then aws s3 ls lists the bucket")

    files = {
        "a.txt": b"alpha\n",
        "nested/b.txt": b"bravo\n" * 100,
        "nested/deeper/c.json": b'{"c": 3}\n',
        "with space/d e.txt": b"delta echo\n",
        "empty.txt": b"",
        "big/nine-mib.bin": os.urandom(9 * 1024 * 1024),  # > awscli's 8 MiB multipart threshold
    }
    for rel, data in files.items():
        write(os.path.join(up, rel), data)

    aws("s3", "sync", up, f"s3://{bucket}/tree")
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="tree/").get("Contents", []))
    assert listed == sorted(f"tree/{k}" for k in files), listed
    head = s3.head_object(Bucket=bucket, Key="tree/big/nine-mib.bin")
    assert "-" in head["ETag"] and head["ContentLength"] == 9 * 1024 * 1024, head
    ok(f"aws s3 sync up: {len(files)} files, the 9 MiB one as multipart ({head['ETag']})")

    _, out, _ = aws("s3", "ls", f"s3://{bucket}/tree/")
    assert "PRE nested/" in out and "a.txt" in out and "PRE big/" in out, out
    _, out, _ = aws("s3", "ls", f"s3://{bucket}/tree/", "--recursive")
    for rel in files:
        assert f"tree/{rel}" in out, (rel, out)
    ok("aws s3 ls shows prefixes and files; --recursive shows every key")

    aws("s3", "sync", f"s3://{bucket}/tree", down)
    assert tree(down) == files, sorted(tree(down))
    ok("aws s3 sync down: the tree is byte-for-byte identical")

    # Second sync up uploads only what changed; --delete removes what was removed locally.
    write(os.path.join(up, "nested/b.txt"), b"bravo changed, longer now\n")
    os.remove(os.path.join(up, "a.txt"))
    write(os.path.join(up, "new/f.txt"), b"foxtrot\n")
    _, out, _ = aws("s3", "sync", up, f"s3://{bucket}/tree", "--delete")
    lines = [line for line in out.splitlines() if line.strip() and "Completed" not in line]
    uploads = [line for line in lines if line.startswith("upload:")]
    deletes = [line for line in lines if line.startswith("delete:")]
    assert len(uploads) == 2 and any("nested/b.txt" in u for u in uploads) and any("new/f.txt" in u for u in uploads), out
    assert len(deletes) == 1 and "tree/a.txt" in deletes[0], out
    ok("incremental sync up uploads only the 2 changed files and --delete removes 1")
    _, out, _ = aws("s3", "sync", up, f"s3://{bucket}/tree")
    assert not [line for line in out.splitlines() if line.startswith("upload:")], out
    ok("a repeated sync uploads nothing")

    aws("s3", "sync", f"s3://{bucket}/tree", down, "--delete")
    assert tree(down) == tree(up), (sorted(tree(down)), sorted(tree(up)))
    ok("sync down with --delete: both trees equal again")

    # cp up, down, stdout, and s3-to-s3.
    single = os.path.join(SCRATCH, "single.txt")
    write(single, b"one file\n")
    aws("s3", "cp", single, f"s3://{bucket}/single.txt", "--content-type", "text/x-test")
    assert s3.head_object(Bucket=bucket, Key="single.txt")["ContentType"] == "text/x-test"
    aws("s3", "cp", f"s3://{bucket}/single.txt", f"s3://{bucket}/copied/single.txt")
    back = os.path.join(SCRATCH, "single.back")
    aws("s3", "cp", f"s3://{bucket}/copied/single.txt", back)
    with open(back, "rb") as f:
        assert f.read() == b"one file\n"
    _, out, _ = aws("s3", "cp", f"s3://{bucket}/single.txt", "-")
    assert out == "one file\n", repr(out)
    aws("s3", "cp", "-", f"s3://{bucket}/from-stdin.txt", stdin=b"piped\n")
    assert s3.get_object(Bucket=bucket, Key="from-stdin.txt")["Body"].read() == b"piped\n"
    ok("aws s3 cp: up (with --content-type), s3-to-s3, down, to stdout, from stdin")

    code, out, err = aws("s3", "ls", f"s3://{unique('missing')}/", check=False)
    assert code != 0 and "NoSuchBucket" in (out + err), (code, out, err)
    ok("aws s3 ls of a missing bucket fails with NoSuchBucket")

    aws("s3", "rb", f"s3://{bucket}", "--force")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    ok("aws s3 rb --force empties and removes the bucket")


if __name__ == "__main__":
    run(main)

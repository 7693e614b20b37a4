"""`osprey sdk-config` for either SageMaker Python SDK line (the scenario runs in the 2.x venv and in the 3.x one): without
the file, the SDK's session reaches outside loopback for its default bucket (the guard refuses it); after
`osprey sdk-config` (default path, HOME being the scratch folder) it reads the bucket from the file, which the command
created on the server, and telemetry is off. A second run keeps the file; a file it did not write needs --force.
"""

import loopback_guard  # noqa: F401  (first: before boto3 or the SDK is imported)

import importlib.metadata
import os
import subprocess

from e2e import ENDPOINT, ok, run, section

os.environ.pop("SAGEMAKER_USER_CONFIG_OVERRIDE", None)
BUCKET = "sdk-config-e2e"
VERSION = importlib.metadata.version("sagemaker")
MAJOR = int(VERSION.split(".")[0])

import boto3  # noqa: E402

if MAJOR >= 3:
    from sagemaker.core.config.config import _DEFAULT_USER_CONFIG_FILE_PATH as CONFIG_PATH  # noqa: E402
    from sagemaker.core.helper.session_helper import Session  # noqa: E402
else:
    from sagemaker.config.config import _DEFAULT_USER_CONFIG_FILE_PATH as CONFIG_PATH  # noqa: E402
    from sagemaker.session import Session  # noqa: E402


def sdk_config(*arguments):
    return subprocess.run([os.environ["OSPREY_BIN"], "sdk-config", "--endpoint", ENDPOINT, *arguments],
                          capture_output=True, text=True, check=False)


def main():
    print(f"sagemaker {VERSION}; the SDK reads {CONFIG_PATH}", flush=True)
    assert CONFIG_PATH.startswith(os.environ["HOME"] + "/"), CONFIG_PATH

    with section("without the config file the SDK leaves loopback for its default bucket"):
        assert not os.path.exists(CONFIG_PATH), CONFIG_PATH
        try:
            bucket = Session(boto_session=boto3.Session()).default_bucket()
        except Exception as error:  # noqa: BLE001 - the guard's refusal, as the SDK reports it
            bucket = f"raised {type(error).__name__}"
        assert loopback_guard.CONTACTED, f"the SDK found a default bucket ({bucket}) without reaching outside loopback"
        ok(f"the SDK tried {sorted(set(loopback_guard.CONTACTED))} (refused); default_bucket(): {bucket}")
        loopback_guard.CONTACTED.clear()

    with section("osprey sdk-config writes the file the SDK reads and creates the bucket"):
        done = sdk_config("--bucket", BUCKET)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"created bucket s3://{BUCKET}" in done.stdout and CONFIG_PATH in done.stdout, done.stdout
        boto3.client("s3").head_bucket(Bucket=BUCKET)
        session = Session(boto_session=boto3.Session())
        assert session.default_bucket() == BUCKET, session.default_bucket()
        modules = session.sagemaker_config["SageMaker"]["PythonSDK"]["Modules"]
        assert modules["TelemetryOptOut"] is True and modules["Session"]["DefaultS3Bucket"] == BUCKET, modules
        ok(f"{CONFIG_PATH} gives default_bucket() == {BUCKET} and TelemetryOptOut, with no call outside loopback")

        again = sdk_config("--bucket", BUCKET)
        assert again.returncode == 0 and f"bucket s3://{BUCKET} exists" in again.stdout, again.stdout + again.stderr
        with open(CONFIG_PATH, "w") as handle:
            handle.write("SchemaVersion: '1.0'\n")
        refused = sdk_config("--bucket", BUCKET)
        assert refused.returncode != 0 and "--force" in refused.stderr, refused.stdout + refused.stderr
        assert open(CONFIG_PATH).read() == "SchemaVersion: '1.0'\n"
        forced = sdk_config("--bucket", BUCKET, "--force")
        assert forced.returncode == 0 and "DefaultS3Bucket: 'sdk-config-e2e'" in open(CONFIG_PATH).read(), forced.stderr
        ok("a second run keeps the bucket; a file sdk-config did not write is replaced only with --force")

    loopback_guard.assert_only_loopback()
    ok("no name look-up or connection left loopback after the file was written")


if __name__ == "__main__":
    run(main)

"""STS and IAM as the SageMaker SDKs probe them: GetCallerIdentity answers; every IAM action is AccessDenied."""

import boto3
from botocore.exceptions import ClientError

from e2e import KEY_ID, ok, run


def main():
    sts = boto3.client("sts")
    identity = sts.get_caller_identity()
    assert identity["Account"] == "000000000000", identity
    assert identity["Arn"] == "arn:aws:iam::000000000000:root", identity
    ok(f"GetCallerIdentity: {identity['Arn']}")

    iam = boto3.client("iam")
    for call in (lambda: iam.get_role(RoleName="SageMakerRole"),
                 lambda: iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::000000000000:role/x",
                                                       ActionNames=["s3:PutObject"])):
        try:
            call()
            raise AssertionError("an IAM call succeeded")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied", error.response
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403, error.response
    ok("IAM GetRole and SimulatePrincipalPolicy: AccessDenied (403)")

    bad = boto3.client("sts", aws_access_key_id=KEY_ID, aws_secret_access_key="wrong-secret-wrong-secret-wrong-secret00")
    try:
        bad.get_caller_identity()
        raise AssertionError("a wrong secret was accepted")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "SignatureDoesNotMatch", error.response
    ok("a wrong secret: SignatureDoesNotMatch")


if __name__ == "__main__":
    run(main)

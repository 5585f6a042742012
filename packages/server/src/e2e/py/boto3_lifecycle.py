"""boto3 against Keyshift through the whole lifecycle. Endpoint, keys and region come from the
environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...). Prints one line per check: `ok <name>`;
any failure raises and exits non-zero with the traceback."""
import base64, os, sys, uuid
import boto3, botocore
from botocore.exceptions import ClientError

ep = os.environ["AWS_ENDPOINT_URL"]
p = f"b3-{uuid.uuid4().hex[:8]}"
sm = boto3.client("secretsmanager", endpoint_url=ep, region_name="us-east-1")
eu = boto3.client("secretsmanager", endpoint_url=ep, region_name="eu-west-1")

def ok(name): print("ok", name, flush=True)

def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error")

# create, read by name / ARN / partial ARN
c = sm.create_secret(Name=f"{p}/db", SecretString="v1", Description="db", Tags=[{"Key": "env", "Value": "prod"}])
arn = c["ARN"]
assert arn.startswith(f"arn:aws:secretsmanager:us-east-1:") and arn[-7] == "-", arn
v1 = c["VersionId"]
for sid in (f"{p}/db", arn, arn[:-7]):
    g = sm.get_secret_value(SecretId=sid)
    assert g["SecretString"] == "v1" and g["VersionStages"] == ["AWSCURRENT"] and g["VersionId"] == v1, g
ok("create and read by name, ARN, partial ARN")

# put and stage moves
v2 = sm.put_secret_value(SecretId=arn, SecretString="v2")["VersionId"]
stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}, stages
v3 = sm.put_secret_value(SecretId=arn, SecretString="v3", VersionStages=["AWSPENDING"])["VersionId"]
sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v2)
assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v3"
assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == "v2"
assert sm.get_secret_value(SecretId=arn, VersionId=v1)["SecretString"] == "v1"
vs = {v["VersionId"]: v.get("VersionStages", []) for v in sm.list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]}
assert vs == {v1: [], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT", "AWSPENDING"]}, vs
ok("put and stage moves (AWSPREVIOUS follows AWSCURRENT)")

# idempotent retry with the same token
tok = str(uuid.uuid4())
a = sm.put_secret_value(SecretId=arn, SecretString="v4", ClientRequestToken=tok)
b = sm.put_secret_value(SecretId=arn, SecretString="v4", ClientRequestToken=tok)
assert a["VersionId"] == b["VersionId"] == tok
assert code_of(lambda: sm.put_secret_value(SecretId=arn, SecretString="other", ClientRequestToken=tok))[0] == "ResourceExistsException"
ok("ClientRequestToken idempotency")

# binary values
blob = bytes(range(256))
sm.create_secret(Name=f"{p}/bin", SecretBinary=blob)
assert sm.get_secret_value(SecretId=f"{p}/bin")["SecretBinary"] == blob
ok("binary values")

# list with filters and pages
for i in range(7):
    sm.create_secret(Name=f"{p}/svc/{i}", SecretString="x", Tags=[{"Key": "team", "Value": "a" if i % 2 else "b"}])
names = []
for page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [f"{p}/svc/"]}], PaginationConfig={"PageSize": 3}):
    assert len(page["SecretList"]) <= 3
    names += [s["Name"] for s in page["SecretList"]]
assert sorted(names) == [f"{p}/svc/{i}" for i in range(7)], names
team_a = sm.list_secrets(Filters=[{"Key": "name", "Values": [f"{p}/svc/"]}, {"Key": "tag-value", "Values": ["a"]}])["SecretList"]
assert sorted(s["Name"] for s in team_a) == [f"{p}/svc/{i}" for i in (1, 3, 5)]
not_b = sm.list_secrets(Filters=[{"Key": "name", "Values": [f"{p}/svc/"]}, {"Key": "tag-value", "Values": ["!b"]}])["SecretList"]
assert sorted(s["Name"] for s in not_b) == [f"{p}/svc/{i}" for i in (1, 3, 5)]
desc = sm.list_secrets(Filters=[{"Key": "name", "Values": [f"{p}/svc/"]}], SortOrder="desc")["SecretList"]
assert [s["Name"] for s in desc] == [f"{p}/svc/{i}" for i in reversed(range(7))]
ok("list with filters, negation, sort order and pages")

# tags
sm.tag_resource(SecretId=arn, Tags=[{"Key": "owner", "Value": "ops"}])
sm.untag_resource(SecretId=arn, TagKeys=["env"])
assert sm.describe_secret(SecretId=arn)["Tags"] == [{"Key": "owner", "Value": "ops"}]
ok("tags")

# delete / restore / force delete
d = sm.delete_secret(SecretId=f"{p}/svc/0", RecoveryWindowInDays=7)
assert "DeletionDate" in d
assert code_of(lambda: sm.get_secret_value(SecretId=f"{p}/svc/0"))[0] == "InvalidRequestException"
assert f"{p}/svc/0" not in [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [f"{p}/svc/0"]}])["SecretList"]]
assert f"{p}/svc/0" in [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [f"{p}/svc/0"]}])["SecretList"]]
sm.restore_secret(SecretId=f"{p}/svc/0")
assert sm.get_secret_value(SecretId=f"{p}/svc/0")["SecretString"] == "x"
sm.delete_secret(SecretId=f"{p}/svc/0", ForceDeleteWithoutRecovery=True)
assert code_of(lambda: sm.describe_secret(SecretId=f"{p}/svc/0"))[0] == "ResourceNotFoundException"
sm.create_secret(Name=f"{p}/svc/0", SecretString="again")
ok("delete, restore, force delete")

# replicas
r = sm.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": "eu-west-1"}])
assert r["ReplicationStatus"][0]["Status"] == "InSync", r
rep = eu.get_secret_value(SecretId=f"{p}/db")
assert rep["SecretString"] == sm.get_secret_value(SecretId=arn)["SecretString"] and ":eu-west-1:" in rep["ARN"]
assert eu.describe_secret(SecretId=f"{p}/db")["PrimaryRegion"] == "us-east-1"
sm.put_secret_value(SecretId=arn, SecretString="replicated")
assert eu.get_secret_value(SecretId=f"{p}/db")["SecretString"] == "replicated"
assert code_of(lambda: eu.put_secret_value(SecretId=f"{p}/db", SecretString="no"))[0] == "InvalidParameterException"
eu.stop_replication_to_replica(SecretId=f"{p}/db")
assert "PrimaryRegion" not in eu.describe_secret(SecretId=f"{p}/db")
assert eu.get_secret_value(SecretId=f"{p}/db")["SecretString"] == "replicated"
ok("replicas")

# random passwords
pw = sm.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
assert len(pw) == 40 and pw.isalnum(), pw
ok("random passwords")

# wrong keys
bad = boto3.client("secretsmanager", endpoint_url=ep, region_name="us-east-1", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong" * 8)
assert code_of(lambda: bad.list_secrets())[0] == "InvalidSignatureException"
unknown = boto3.client("secretsmanager", endpoint_url=ep, region_name="us-east-1", aws_access_key_id="KSAKUNKNOWNUNKNOWN00", aws_secret_access_key="x" * 40)
assert code_of(lambda: unknown.list_secrets())[0] == "UnrecognizedClientException"
ok("wrong keys")
print("done", flush=True)

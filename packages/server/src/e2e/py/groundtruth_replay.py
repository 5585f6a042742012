#!/usr/bin/env python3
"""Replays the real-AWS Secrets Manager snapshots (LocalStack's test_secretsmanager.snapshot.json,
recorded against AWS) against a Keyshift server with boto3, and compares every response with the
recorded one.

The LocalStack test code is not available: each scenario below rebuilds the boto3 calls from the
snapshot labels and recorded responses. Where the call had to be guessed, a comment says so.

Usage: groundtruth_replay.py --snapshot FILE [--only SUBSTRING] [--self-check]
Endpoint, credentials and region come from the environment (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION). KEYSHIFT_ACCOUNT_ID (optional)
is the account the server puts in ARNs (the recorded one is 111111111111).

Prints one JSON object per snapshot entry, one per line:
  {"name": <test id>, "ok": bool, "diffs": [str], "todo": str|null, "actual": {label: response}}
("actual" is present only when ok is false, normalised for reading). Exit status 0 unless the
script itself broke.

How responses are compared (mirroring LocalStack's snapshot transformers):
- ResponseMetadata: only HTTPStatusCode is compared, and only when the recording kept it.
- "datetime" in a recording matches any timestamp (a datetime from boto3, a number on the wire).
- Placeholders (<SecretId-0idx>, <ArnPart-0idx>, <version_uuid:N>, <uuid:N>, <name:N>,
  <secret-version:N>, <lambda-arn:N>, <partition>, <region>, <version-id>) bind to the actual
  value on first use; afterwards the same placeholder must be the same value and two different
  placeholders of one kind must be different values. The account 111111111111 is the server's.
- Everything else is compared literally: keys present (missing and unexpected keys), values,
  list lengths and order, error Code, Message and HTTP status.
- VersionStages lists are sorted and ListSecretVersionIds' Versions are ordered by CreatedDate
  before comparison, as LocalStack's SortingTransformers did when recording.
"""
import argparse
import base64
import codecs
import copy
import datetime
import json
import os
import re
import sys
import time
import traceback
import uuid

import boto3
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

RECORDED_ACCOUNT = "111111111111"
PREFIX = "tests/aws/services/secretsmanager/test_secretsmanager.py::TestSecretsManager::"
ROTATION_TODO = (
    "rotation with a Lambda function: Keyshift does not run rotation functions yet (a later issue); "
    "today any Lambda ARN gets AccessDeniedException 'Secrets Manager cannot invoke the specified Lambda function...'"
)

# --------------------------------------------------------------------------------------------
# Comparison


PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z_\-]*(?::\d+|-\d+idx)?>")


def kind_of(ph):
    """<version_uuid:3> -> version_uuid; <SecretId-0idx> -> SecretId; <region> -> region."""
    inner = ph[1:-1]
    inner = re.sub(r"(:\d+|-\d+idx)$", "", inner)
    return inner


CAPTURE = {
    "ArnPart": r"-[A-Za-z0-9]{6}",
    "partition": r"aws[a-z\-]*",
    "region": r"[a-z]{2}(?:-[a-z]+)+-\d",
    "account": r"\d{12}",
}


class Bindings:
    def __init__(self):
        self.fwd = {}
        self.rev = {}

    def copy(self):
        b = Bindings()
        b.fwd = dict(self.fwd)
        b.rev = dict(self.rev)
        return b

    def bind(self, ph, value):
        if ph in self.fwd:
            return self.fwd[ph] == value
        key = (kind_of(ph), value)
        if key in self.rev and self.rev[key] != ph:
            return False
        self.fwd[ph] = value
        self.rev[key] = ph
        return True


def match_string(expected, actual, b):
    """Matches a recorded string with placeholders against an actual string, binding placeholders."""
    parts = PLACEHOLDER.split(expected)
    phs = PLACEHOLDER.findall(expected)
    if not phs:
        return expected == actual
    rx = ""
    groups = []
    seen = {}
    for i, lit in enumerate(parts):
        rx += re.escape(lit)
        if i < len(phs):
            ph = phs[i]
            if ph in b.fwd:
                rx += re.escape(b.fwd[ph])
            elif ph in seen:
                rx += "(?P=%s)" % seen[ph]
            else:
                g = "g%d" % len(groups)
                seen[ph] = g
                groups.append((g, ph))
                rx += "(?P<%s>%s)" % (g, CAPTURE.get(kind_of(ph), r".+?"))
    m = re.fullmatch(rx, actual, re.S)
    if not m:
        return False
    trial = b.copy()
    for g, ph in groups:
        if not trial.bind(ph, m.group(g)):
            return False
    b.fwd, b.rev = trial.fwd, trial.rev
    return True


def is_timestamp(v):
    return isinstance(v, datetime.datetime) or (isinstance(v, (int, float)) and not isinstance(v, bool))


def show(v):
    """A JSON-able, readable form of an actual value."""
    if isinstance(v, datetime.datetime):
        return "datetime"
    if isinstance(v, (bytes, bytearray)):
        return repr(bytes(v))
    if isinstance(v, dict):
        return {k: show(x) for k, x in v.items()}
    if isinstance(v, list):
        return [show(x) for x in v]
    return v


def compare(exp, act, path, diffs, b):
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            diffs.append("%s: expected an object, got %s" % (path, json.dumps(show(act))[:200]))
            return
        keymap = {}
        remaining = [k for k in act.keys()]
        pending = []
        for k in exp.keys():
            if PLACEHOLDER.search(k) is None and k in act:
                keymap[k] = k
                remaining.remove(k)
            elif PLACEHOLDER.search(k) is None:
                keymap[k] = None
            else:
                pending.append(k)
        # Placeholder keys (VersionIdsToStages): bound ones first, then unbound ones matched to
        # the first remaining actual key whose value compares equal.
        pending.sort(key=lambda k: 0 if all(p in b.fwd for p in PLACEHOLDER.findall(k)) else 1)
        for k in pending:
            chosen = None
            for cand in remaining:
                trial = b.copy()
                if match_string(k, cand, trial):
                    d = []
                    compare(exp[k], act[cand], path + "." + k, d, trial.copy())
                    if not d:
                        chosen = cand
                        break
                    if chosen is None and all(p in b.fwd for p in PLACEHOLDER.findall(k)):
                        chosen = cand
            if chosen is None:
                for cand in remaining:
                    if match_string(k, cand, b.copy()):
                        chosen = cand
                        break
            if chosen is not None:
                match_string(k, chosen, b)
                remaining.remove(chosen)
            keymap[k] = chosen
        for k in exp.keys():
            if keymap[k] is None:
                diffs.append("%s: missing key %s (expected %s)" % (path, k, json.dumps(exp[k])[:200]))
            else:
                compare(exp[k], act[keymap[k]], path + "." + k, diffs, b)
        for k in remaining:
            diffs.append("%s: unexpected key %s = %s" % (path, k, json.dumps(show(act[k]))[:200]))
        return
    if isinstance(exp, list):
        if not isinstance(act, list):
            diffs.append("%s: expected a list, got %s" % (path, json.dumps(show(act))[:200]))
            return
        if len(exp) != len(act):
            diffs.append("%s: expected %d items %s, got %d items %s" % (path, len(exp), json.dumps(exp)[:300], len(act), json.dumps(show(act))[:300]))
            return
        for i, (e, a) in enumerate(zip(exp, act)):
            compare(e, a, "%s[%d]" % (path, i), diffs, b)
        return
    if exp == "datetime":
        if not is_timestamp(act):
            diffs.append("%s: expected a timestamp, got %s" % (path, json.dumps(show(act))))
        return
    if isinstance(exp, str):
        a = repr(bytes(act)) if isinstance(act, (bytes, bytearray)) else act
        if not isinstance(a, str):
            diffs.append("%s: expected %s, got %s" % (path, json.dumps(exp), json.dumps(show(act))))
        elif not match_string(exp, a, b):
            diffs.append("%s: expected %s, got %s" % (path, json.dumps(exp), json.dumps(a)))
        return
    if type(exp) is not type(act) or exp != act:
        diffs.append("%s: expected %s, got %s" % (path, json.dumps(exp), json.dumps(show(act))))


def sort_like_localstack(v):
    """The SortingTransformers applied when recording: VersionStages sorted, Versions by CreatedDate."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = sort_like_localstack(x)
            if k == "VersionStages" and isinstance(x, list) and all(isinstance(s, str) for s in x):
                x = sorted(x)
            if k == "Versions" and isinstance(x, list) and all(isinstance(e, dict) for e in x):
                def created(e):
                    c = e.get("CreatedDate")
                    if isinstance(c, datetime.datetime):
                        return c.timestamp()
                    return c if isinstance(c, (int, float)) else 0
                x = sorted(x, key=created)
            out[k] = x
        return out
    if isinstance(v, list):
        return [sort_like_localstack(x) for x in v]
    return v


def prepare_actual(expected, actual):
    """Drops what the recording dropped: response headers, request ids, retry counts."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        actual = dict(actual)
        if "ResponseMetadata" in actual:
            rm = actual.pop("ResponseMetadata")
            if "ResponseMetadata" in expected:
                kept = {}
                if "HTTPHeaders" in expected["ResponseMetadata"]:
                    kept["HTTPHeaders"] = {}
                if "HTTPStatusCode" in rm:
                    kept["HTTPStatusCode"] = rm["HTTPStatusCode"]
                actual["ResponseMetadata"] = kept
    return sort_like_localstack(actual)


def prepare_expected(expected, literals, account):
    """Recorded literal secret names become pre-bound placeholders; the recorded account becomes <account>."""
    if isinstance(expected, dict):
        return {prepare_expected(k, literals, account): prepare_expected(v, literals, account) for k, v in expected.items()}
    if isinstance(expected, list):
        return [prepare_expected(x, literals, account) for x in expected]
    if isinstance(expected, str):
        s = expected.replace(":%s:" % RECORDED_ACCOUNT, ":<account>:")
        for lit, ph in sorted(literals.items(), key=lambda kv: -len(kv[0])):
            s = s.replace(lit, ph)
        return s
    return expected


# --------------------------------------------------------------------------------------------
# Running scenarios


class Abort(Exception):
    pass


class Scenario:
    def __init__(self, runner, test_id, recorded):
        self.r = runner
        self.sm = runner.sm
        self.test_id = test_id
        self.recorded = recorded
        self.actual = {}
        self.order = []
        self.created = []
        self.b = Bindings()
        self.literals = {}
        self.b.bind("<account>", runner.account)
        self.b.bind("<partition>", "aws")
        self.b.bind("<region>", runner.region)
        self.n = 0

    def name(self, index=0, literal=None):
        """A fresh secret name for placeholder <SecretId-{index}idx>, or a unique name ending in
        `literal` standing for a literal name of the recording."""
        self.n += 1
        if literal is None:
            nm = "gt-%s-%04d" % (self.r.run_id, self.r.next_seq())
            self.b.bind("<SecretId-%didx>" % index, nm)
        else:
            nm = "gt%s%04d/%s" % (self.r.run_id, self.r.next_seq(), literal)
            ph = "<Literal-%didx>" % index
            self.literals[literal] = ph
            self.b.bind(ph, nm)
        self.created.append(nm)
        return nm

    def snap(self, label, fn):
        """Runs one call and keeps its boto3 response (or the error response) under `label`."""
        try:
            res = fn()
        except ClientError as e:
            res = e.response
        self.actual[label] = res
        self.order.append(label)
        return res

    def snap_str_exc(self, label, fn):
        """Keeps str(exception), as test_secret_version_not_found recorded."""
        try:
            res = fn()
            self.actual[label] = {"unexpected success": show(res)}
        except ClientError as e:
            self.actual[label] = str(e)
        self.order.append(label)

    def need(self, res, key):
        if not isinstance(res, dict) or key not in res:
            raise Abort("cannot continue: response has no %s: %s" % (key, json.dumps(show(res))[:300]))
        return res[key]

    def cleanup(self):
        for nm in self.created:
            try:
                self.sm.delete_secret(SecretId=nm, ForceDeleteWithoutRecovery=True)
            except Exception:
                pass

    def result(self, aborted=None):
        diffs = []
        if aborted:
            diffs.append(aborted)
        for label, exp in self.recorded.items():
            if label not in self.actual:
                diffs.append("%s: not produced by the replay" % label)
                continue
            e = prepare_expected(exp, self.literals, self.r.account)
            a = prepare_actual(e, self.actual[label])
            compare(e, a, label, diffs, self.b)
        for label in self.order:
            if label not in self.recorded:
                diffs.append("%s: produced by the replay but not in the recording" % label)
        return diffs


class Runner:
    def __init__(self):
        self.run_id = uuid.uuid4().hex[:8]
        self.seq = 0
        self.region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
        self.endpoint = os.environ["AWS_ENDPOINT_URL"]
        self.account = os.environ.get("KEYSHIFT_ACCOUNT_ID") or "111122223333"
        # Two attempts: with one, botocore appends "(reached max retries: 0)" to every error text.
        cfg = Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        self.sm = boto3.client("secretsmanager", region_name=self.region, endpoint_url=self.endpoint, config=cfg)
        self.session = botocore.session.get_session()
        self.http = URLLib3Session()

    def next_seq(self):
        self.seq += 1
        return self.seq

    def raw(self, operation, params):
        """A SigV4-signed JSON 1.1 request sent without boto3's parameter handling (so no
        auto-filled ClientRequestToken); returns (status, parsed body)."""
        body = json.dumps(params)
        req = AWSRequest(
            method="POST",
            url=self.endpoint.rstrip("/") + "/",
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.%s" % operation},
        )
        SigV4Auth(self.session.get_credentials(), "secretsmanager", self.region).add_auth(req)
        res = self.http.send(req.prepare())
        try:
            parsed = json.loads(res.content.decode("utf-8")) if res.content else None
        except ValueError:
            parsed = {"unparseable body": res.content.decode("utf-8", "replace")}
        return res.status_code, parsed


SCENARIOS = {}


def scenario(*ids):
    def deco(fn):
        for i in ids:
            SCENARIOS[i] = fn
        return fn
    return deco


def todo_for(test_id):
    if (test_id.startswith("test_rotate_secret_with_lambda_success") or test_id.startswith("test_rotate_secret_multiple_times_with_lambda_success")) and not os.environ.get("GROUNDTRUTH_LAMBDA_ARN"):
        return ROTATION_TODO
    return None


# ---- creation, deletion, names ----------------------------------------------------------------


@scenario("test_can_recreate_delete_secret")
def s_recreate(s):
    nm = s.name(0)
    s.snap("create_secret_res_0", lambda: s.sm.create_secret(Name=nm, SecretString="my_secret"))
    s.snap("delete_res_1", lambda: s.sm.delete_secret(SecretId=nm, ForceDeleteWithoutRecovery=True))
    # AWS purges asynchronously after a forced delete; wait until the name is free.
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            s.sm.describe_secret(SecretId=nm)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                break
        time.sleep(0.2)
    s.snap("create_secret_res_1", lambda: s.sm.create_secret(Name=nm, SecretString="my_secret"))


@scenario("test_exp_raised_on_creation_of_secret_scheduled_for_deletion")
def s_scheduled(s):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, SecretString="my_secret")
    s.snap("delete_res", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))
    s.snap("invalid_req_ex", lambda: s.sm.create_secret(Name=nm, SecretString="my_secret"))


def create_and_update(s, literal, valid_partial_arn):
    nm = s.name(0, literal)
    c = s.snap("create_secret_rs_1", lambda: s.sm.create_secret(Name=nm, SecretString="my_secret", Description="Testing secret creation."))
    arn = s.need(c, "ARN")
    s.snap("get_secret_value_rs_1", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("describe_secret_rs_1", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("get_secret_value_rs_2", lambda: s.sm.get_secret_value(SecretId=arn))
    # The partial ARN is the full ARN without its "-XXXXXX" suffix; for a name that itself ends
    # in "-" + six alphanumerics AWS takes that for the suffix and finds nothing.
    partial = arn[: -len("-XXXXXX")]
    if valid_partial_arn:
        s.snap("get_secret_value_rs_3", lambda: s.sm.get_secret_value(SecretId=partial))
    else:
        s.snap("resource_not_found_dict_1", lambda: s.sm.get_secret_value(SecretId=partial))
    s.snap("put_secret_value_rs_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="new_secret"))
    s.snap("get_secret_value_rs_4", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("update_secret_res_1", lambda: s.sm.update_secret(SecretId=arn, SecretString="updated_secret", Description="Updated."))
    s.snap("delete_secret_res_1", lambda: s.sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7))


def _cu(literal, valid):
    return lambda s: create_and_update(s, literal, valid)


for _id, _lit, _valid in [
    ("test_create_and_update_secret[s-c64bdc03-True]", None, True),
    ("test_create_and_update_secret[s-c64bdc03]", None, True),
    ("test_create_and_update_secret[s-4b175f02-True]", None, True),
    ("test_create_and_update_secret[Valid/_+=.@-Name-True]", "Valid/_+=.@-Name", True),
    ("test_create_and_update_secret[Valid/_+=.@-Name]", "Valid/_+=.@-Name", True),
    ("test_create_and_update_secret[Valid/_+=.@-Name-a1b2-True]", "Valid/_+=.@-Name-a1b2", True),
    ("test_create_and_update_secret[Valid/_+=.@-Name-a1b2]", "Valid/_+=.@-Name-a1b2", True),
    ("test_create_and_update_secret[Valid/_+=.@-Name-a1b2c3--True]", "Valid/_+=.@-Name-a1b2c3-", True),
    ("test_create_and_update_secret[Valid/_+=.@-Name-a1b2c3-]", "Valid/_+=.@-Name-a1b2c3-", True),
    ("test_create_and_update_secret[Invalid/_+=.@-Name-a1b2c3-False]", "Invalid/_+=.@-Name-a1b2c3", False),
]:
    SCENARIOS[_id] = _cu(_lit, _valid)


def invalid_name(s, bad):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    calls = [
        lambda: s.sm.create_secret(Name=bad, SecretString="MySecretString"),
        lambda: s.sm.delete_secret(SecretId=bad),
        lambda: s.sm.describe_secret(SecretId=bad),
        lambda: s.sm.get_secret_value(SecretId=bad),
        lambda: s.sm.list_secret_version_ids(SecretId=bad),
        lambda: s.sm.put_secret_value(SecretId=bad, SecretString="MySecretString"),
        lambda: s.sm.tag_resource(SecretId=bad, Tags=[{"Key": "FirstTag", "Value": "SomeValue"}]),
        lambda: s.sm.untag_resource(SecretId=bad, TagKeys=["FirstTag"]),
        lambda: s.sm.update_secret(SecretId=bad, Description="MyNewDescription"),
        lambda: s.sm.validate_resource_policy(SecretId=bad, ResourcePolicy=policy),
    ]
    for i, fn in enumerate(calls, start=1):
        s.snap("ex_log_%d" % i, fn)


for _id in [
    "test_invalid_secret_name[Inv Name]",
    "test_invalid_secret_name[ Inv Name]",
    "test_invalid_secret_name[ Inv*Name? ]",
    "test_invalid_secret_name[ Inv *?!]Name\\\\-]",
]:
    # pytest escapes backslashes in ids: " Inv *?!]Name\\-" is the name " Inv *?!]Name\-".
    _bad = codecs.decode(_id[len("test_invalid_secret_name["):-1], "unicode_escape")
    SCENARIOS[_id] = (lambda bad: lambda s: invalid_name(s, bad))(_bad)


@scenario("test_secret_not_found")
def s_not_found(s):
    nm = "gt-%s-missing-%d" % (s.r.run_id, s.r.next_seq())
    s.snap("get_secret_value_not_found_ex", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("list_secret_version_ids_not_found_ex", lambda: s.sm.list_secret_version_ids(SecretId=nm))


@scenario("test_secret_exists_snapshots")
def s_exists(s):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, SecretString="my_secret", Description="testing creation of secrets")
    s.snap("ex_log", lambda: s.sm.create_secret(Name=nm, SecretString="my_secret", Description="testing creation of secrets"))
    s.snap("delete_secret_res", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_force_delete_deleted_secret")
def s_force_delete(s):
    nm = s.name(0)
    s.snap("create_secret_response", lambda: s.sm.create_secret(Name=nm, SecretString="secret"))
    s.snap("delete_secret_response", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))
    s.snap("describe_secret_response", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("force_delete_secret_response", lambda: s.sm.delete_secret(SecretId=nm, ForceDeleteWithoutRecovery=True))


@scenario("test_secret_restore")
def s_restore(s):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, SecretString="secret")
    s.snap("delete_secret_res", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))
    s.snap("restore_secret_res", lambda: s.sm.restore_secret(SecretId=nm))


@scenario("test_create_secret_version_from_empty_secret")
def s_empty(s):
    nm = "gt-%s-%04d" % (s.r.run_id, s.r.next_seq())
    s.created.append(nm)
    s.b.bind("<name:1>", nm)
    s.snap("create-empty-secret", lambda: s.sm.create_secret(Name=nm))
    s.snap("describe-secret", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("put-secret-value", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="value"))


# ---- listing -------------------------------------------------------------------------------


def list_all(sm, **kw):
    out = []
    token = None
    while True:
        args = dict(kw)
        if token:
            args["NextToken"] = token
        page = sm.list_secrets(**args)
        out.extend(page["SecretList"])
        token = page.get("NextToken")
        if not token:
            return out


@scenario("test_call_lists_secrets_multiple_times", "test_call_lists_secrets_multiple_times_snapshots")
def s_list_multiple(s):
    nm = s.name(0)
    s.snap("create_secret_rs_1", lambda: s.sm.create_secret(Name=nm, SecretString="my_secret", Description="testing creation of secrets"))
    for i in range(3):
        if s.test_id.endswith("_snapshots"):
            # The newer recording keeps the whole ListSecrets response (with ResponseMetadata):
            # a name filter that selects this secret only.
            s.snap("list_secrets_res_%d" % i, lambda: s.sm.list_secrets(Filters=[{"Key": "name", "Values": [nm]}]))
        else:
            # The older one keeps only {"SecretList": [...]}: the entries for this secret.
            s.snap("list_secrets_res_%d" % i, lambda: {"SecretList": [e for e in list_all(s.sm) if e["Name"] == nm]})
    s.snap("delete_secret_res_1", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_create_multi_secrets", "test_create_multi_secrets_snapshot")
def s_multi(s):
    names = [s.name(i) for i in range(3)]
    for nm in names:
        s.sm.create_secret(Name=nm, SecretString="my_secret", Description="Testing secrets creation.")
    if s.test_id.endswith("_snapshot"):
        # The newer recording keeps the whole response: a name filter with the three names.
        s.snap("list_secrets_res", lambda: s.sm.list_secrets(Filters=[{"Key": "name", "Values": names}]))
    else:
        # The older one keeps only this run's secrets, in the order ListSecrets returned them.
        s.snap("list_secrets_res", lambda: {"SecretList": [e for e in list_all(s.sm) if e["Name"] in names]})
    for i, nm in enumerate(names):
        s.snap("delete_secret_res%d" % i, lambda nm=nm: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


# ---- values and version stages -------------------------------------------------------------------


@scenario("test_put_secret_value_with_version_stages")
def s_put_stages(s):
    nm = s.name(0)
    s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="secret_string_v0"))
    s.snap("get_secret_value_res_0", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("put_secret_value_res_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="secret_string_v1", VersionStages=["SAMPLESTAGE1", "SAMPLESTAGE0"]))
    s.snap("get_secret_value_res_1", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("put_secret_value_res_2", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="secret_string_v2", VersionStages=["SAMPLESTAGE1", "SAMPLESTAGE0"]))
    s.snap("get_secret_value_res_2", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("put_secret_value_res_3", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="secret_string_v3", VersionStages=["AWSPENDING"]))
    s.snap("get_secret_value_res_3", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("put_secret_value_res_4", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="secret_string_v4"))
    s.snap("get_secret_value_res_4", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("delete_secret_res_1", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_description")
def s_update_description(s):
    nm = s.name(0)
    s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S0"))
    s.snap("describe_secret_res_0", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("update_secret_res_0", lambda: s.sm.update_secret(SecretId=nm, Description="MyDescription"))
    s.snap("describe_secret_res_1", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("update_secret_res_1", lambda: s.sm.update_secret(SecretId=nm, SecretString="S1", Description="MyNewDescription"))
    s.snap("describe_secret_res_2", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("update_secret_res_2", lambda: s.sm.update_secret(SecretId=nm, SecretString="S2"))
    s.snap("describe_secret_res_3", lambda: s.sm.describe_secret(SecretId=nm))
    # Guess: a metadata-only update that keeps the description (the recording shows no change).
    s.snap("update_secret_res_3", lambda: s.sm.update_secret(SecretId=nm, Description="MyNewDescription"))
    s.snap("describe_secret_res_4", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_return_type")
def s_uvs_return(s):
    nm = s.name(0)
    c = s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S1"))
    v1 = s.need(c, "VersionId")
    p = s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S2", VersionStages=["AWSPENDING"]))
    v2 = s.need(p, "VersionId")
    s.snap("update_secret_version_stage_res_0", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_current_previous")
def s_uvs_cur_prev(s):
    nm = s.name(0)
    s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S1"))
    s.snap("list_secret_version_ids_res_0", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("update_secret_res_0", lambda: s.sm.update_secret(SecretId=nm, SecretString="S2"))
    s.snap("list_secret_version_ids_res_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_current_pending")
def s_uvs_cur_pending(s):
    nm = s.name(0)
    c = s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S1"))
    v1 = s.need(c, "VersionId")
    p = s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S2", VersionStages=["AWSPENDING"]))
    v2 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_0", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("update_secret_version_stage_res_0", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1))
    s.snap("list_secret_version_ids_res_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    # A plain put (no VersionStages): AWS moves AWSCURRENT to it, AWSPREVIOUS to the old current,
    # and the AWSPENDING that sat with the old current is gone afterwards (recorded).
    s.snap("put_secret_value_res_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S3"))
    s.snap("list_secret_version_ids_res_2", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_current_pending_cycle")
def s_uvs_cycle(s):
    nm = s.name(0)
    c = s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S1"))
    v1 = s.need(c, "VersionId")
    p = s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S2", VersionStages=["AWSPENDING"]))
    v2 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_0", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_0", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("update_secret_version_stage_res_0", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1))
    s.snap("list_secret_version_ids_res_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_1", lambda: s.sm.get_secret_value(SecretId=nm))
    p = s.snap("put_secret_value_res_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S3", VersionStages=["AWSPENDING"]))
    v3 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_2", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_2", lambda: s.sm.get_secret_value(SecretId=nm))
    # Labelled put_secret_value_res_2 but the recorded response ({ARN, Name}) is UpdateSecretVersionStage's.
    s.snap("put_secret_value_res_2", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v2))
    s.snap("list_secret_version_ids_res_3", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_3", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_current_pending_cycle_custom_stages_1")
def s_uvs_custom1(s):
    nm = s.name(0)
    c = s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S1"))
    v1 = s.need(c, "VersionId")
    p = s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S2", VersionStages=["AWSPENDING", "PUT1", "AWSSOMETHING"]))
    v2 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_0", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_0", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("update_secret_version_stage_res_0", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1))
    s.snap("list_secret_version_ids_res_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_1", lambda: s.sm.get_secret_value(SecretId=nm))
    p = s.snap("put_secret_value_res_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S3", VersionStages=["AWSPENDING", "PUT2"]))
    v3 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_2", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_2", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("update_secret_version_stage_res_1", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v2))
    s.snap("list_secret_version_ids_res_3", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_3", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_current_pending_cycle_custom_stages_2")
def s_uvs_custom2(s):
    nm = s.name(0)
    s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="SS"))
    p = s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S1", VersionStages=["AWSCURRENT", "PUT0"]))
    v2 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_0", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    p = s.snap("put_secret_value_res_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S2", VersionStages=["AWSPENDING", "PUT1"]))
    v3 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_0", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("update_secret_version_stage_res_0", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v2))
    s.snap("list_secret_version_ids_res_2", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_1", lambda: s.sm.get_secret_value(SecretId=nm))
    p = s.snap("put_secret_value_res_2", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S3", VersionStages=["AWSPENDING", "PUT2"]))
    v4 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_res_3", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_2", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("update_secret_version_stage_res_1", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v4, RemoveFromVersionId=v3))
    s.snap("list_secret_version_ids_res_4", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_res_3", lambda: s.sm.get_secret_value(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


@scenario("test_update_secret_version_stages_current_pending_cycle_custom_stages_3")
def s_uvs_custom3(s):
    nm = s.name(0)
    c = s.snap("create_secret_rs", lambda: s.sm.create_secret(Name=nm, SecretString="SS"))
    v1 = s.need(c, "VersionId")
    p = s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S1", VersionStages=["PENDING"]))
    v2 = s.need(p, "VersionId")
    s.snap("list_secret_version_ids_rs", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("get_secret_value_v1_rs", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v1))
    s.snap("get_secret_value_v2_rs", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v2))
    s.snap("update_secret_version_stage_res_1", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1))
    s.snap("get_secret_value_v1_rs_1", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v1))
    s.snap("get_secret_value_v2_rs_1", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v2))
    s.snap("update_secret_version_stage_res_2", lambda: s.sm.update_secret_version_stage(SecretId=nm, VersionStage="PENDING", RemoveFromVersionId=v2))
    s.snap("get_secret_value_v1_rs_2", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v1))
    s.snap("get_secret_value_v2_rs_2", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v2))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


def non_versioning(s, second_stages):
    nm = s.name(0)
    s.snap("create_secret_rs_0", lambda: s.sm.create_secret(Name=nm, SecretString="S0"))
    s.snap("put_secret_value_res_0", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S1", VersionStages=["one", "two", "three"]))
    s.snap("list_secret_version_ids_res_0", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("put_secret_value_res_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="S2", VersionStages=second_stages))
    s.snap("list_secret_version_ids_res_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("delete_secret_res_0", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))


SCENARIOS["test_non_versioning_version_stages_replacement"] = lambda s: non_versioning(s, ["one", "two", "three", "four"])
SCENARIOS["test_non_versioning_version_stages_no_replacement"] = lambda s: non_versioning(s, ["one", "two", "four"])


@scenario("test_deprecated_secret_version_stage")
def s_deprecated(s):
    nm = s.name(0)
    s.snap("create_secret", lambda: s.sm.create_secret(Name=nm, SecretString="v1"))
    s.snap("list_secret_version_ids", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("put_secret_value_1", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="v2"))
    s.snap("list_secret_version_ids_1", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("put_secret_value_2", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="v3"))
    s.snap("list_secret_version_ids_2", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("list_secret_version_ids_3", lambda: s.sm.list_secret_version_ids(SecretId=nm, IncludeDeprecated=True))
    s.snap("put_secret_value_3", lambda: s.sm.put_secret_value(SecretId=nm, SecretString="v4"))
    s.snap("list_secret_version_ids_4", lambda: s.sm.list_secret_version_ids(SecretId=nm))
    s.snap("list_secret_version_ids_5", lambda: s.sm.list_secret_version_ids(SecretId=nm, IncludeDeprecated=True))


@scenario("test_get_secret_value_errors")
def s_gsv_errors(s):
    nm = s.name(0)
    c = s.sm.create_secret(Name=nm, SecretString="v1")
    v1 = c["VersionId"]
    s.snap("error_get_secret_value_non_existing", lambda: s.sm.get_secret_value(SecretId=nm, VersionStage="AWSPREVIOUS"))
    # Guess: a second version so that both the id and the stage exist, on different versions.
    s.sm.put_secret_value(SecretId=nm, SecretString="v2")
    s.snap("mismatch_version_id_and_stage", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=v1, VersionStage="AWSCURRENT"))


@scenario("test_secret_version_not_found")
def s_version_not_found(s):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, Description="no value yet")
    s.snap_str_exc("get_secret_value_no_version_ex", lambda: s.sm.get_secret_value(SecretId=nm))
    missing = str(uuid.uuid4())
    s.b.bind("<version-id>", missing)
    s.snap_str_exc("get_secret_value_version_not_found_ex", lambda: s.sm.get_secret_value(SecretId=nm, VersionId=missing))
    s.snap_str_exc("get_secret_value_stage_not_found_ex", lambda: s.sm.get_secret_value(SecretId=nm, VersionStage="AWSPENDING"))


@scenario("test_get_secret_value")
def s_get_binary(s):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, SecretBinary=b"footest")
    s.snap("secret_value_response", lambda: s.sm.get_secret_value(SecretId=nm))
    status, body = s.r.raw("GetSecretValue", {"SecretId": nm})
    s.actual["secret_value_http_response"] = body
    s.order.append("secret_value_http_response")
    if status != 200:
        raise Abort("raw GetSecretValue answered HTTP %d" % status)


def change_value(s, put_value, update_value):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, SecretBinary=b"initial")
    s.snap("put_secret_value_secret_response", lambda: s.sm.get_secret_value(SecretId=nm))
    s.sm.put_secret_value(SecretId=nm, SecretBinary=put_value)
    s.snap("put_secret_binary_response_updated", lambda: s.sm.get_secret_value(SecretId=nm))
    s.sm.update_secret(SecretId=nm, SecretBinary=update_value)
    s.snap("update_secret_binary_response_updated", lambda: s.sm.get_secret_value(SecretId=nm))


for _id, _p, _u in [
    ("test_change_secret_value_after_creation[footest-updated1]", b"footest", b"updated1"),
    ("test_change_secret_value_after_creation[tops3cret-updated2]", b"tops3cret", b"updated2"),
    ("test_change_secret_value_after_creation[\\x00\\x01\\x02\\xff-\\xfe\\xfd]", b"\x00\x01\x02\xff", b"\xfe\xfd"),
]:
    SCENARIOS[_id] = (lambda p, u: lambda s: change_value(s, p, u))(_p, _u)


@scenario(
    "test_no_client_request_token[CreateSecret]",
    "test_no_client_request_token[UpdateSecret]",
    "test_no_client_request_token[RotateSecret]",
    "test_no_client_request_token[PutSecretValue]",
)
def s_no_token(s):
    op = s.test_id[s.test_id.index("[") + 1:-1]
    nm = s.name(0)
    if op == "CreateSecret":
        params = {"Name": nm, "SecretString": "secret"}
    else:
        s.sm.create_secret(Name=nm, SecretString="secret")
        # Guess: the minimal parameters of each operation, without ClientRequestToken.
        params = {"SecretId": nm} if op == "RotateSecret" else {"SecretId": nm, "SecretString": "new secret"}
    status, body = s.r.raw(op, params)
    s.actual["no-client-request-exc"] = {"Error": body, "Metadata": {"StatusCode": status}}
    s.order.append("no-client-request-exc")


# ---- tags and policies -----------------------------------------------------------------------


@scenario("test_secret_tags")
def s_tags(s):
    nm = s.name(0)
    s.snap("create_secret", lambda: s.sm.create_secret(Name=nm))
    s.snap("describe_secret", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("tag_resource_1", lambda: s.sm.tag_resource(SecretId=nm, Tags=[{"Key": "tag1", "Value": "value1"}]))
    s.snap("describe_secret_1", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("tag_resource_2", lambda: s.sm.tag_resource(SecretId=nm, Tags=[{"Key": "tag2", "Value": "value2"}]))
    s.snap("describe_secret_2", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("untag_resource_1", lambda: s.sm.untag_resource(SecretId=nm, TagKeys=["tag1"]))
    s.snap("describe_secret_3", lambda: s.sm.describe_secret(SecretId=nm))
    s.snap("untag_resource_2", lambda: s.sm.untag_resource(SecretId=nm, TagKeys=["tag2"]))
    s.snap("describe_secret_4", lambda: s.sm.describe_secret(SecretId=nm))
    # Not recorded: the calls between describe_secret_4 and _5 and between _5 and _6.
    s.sm.tag_resource(SecretId=nm, Tags=[{"Key": "tag3", "Value": "value3"}, {"Key": "tag4", "Value": "value4"}])
    s.snap("describe_secret_5", lambda: s.sm.describe_secret(SecretId=nm))
    s.sm.untag_resource(SecretId=nm, TagKeys=["tag3", "tag4"])
    s.snap("describe_secret_6", lambda: s.sm.describe_secret(SecretId=nm))


@scenario("test_tag_untag_resource_on_deleted_secret")
def s_tag_deleted(s):
    nm = s.name(0)
    s.snap("create_secret", lambda: s.sm.create_secret(Name=nm, SecretString="secret"))
    s.snap("delete_secret", lambda: s.sm.delete_secret(SecretId=nm, RecoveryWindowInDays=7))
    s.snap("tag_deleted_secret_error", lambda: s.sm.tag_resource(SecretId=nm, Tags=[{"Key": "tag1", "Value": "value1"}]))
    s.snap("untag_deleted_secret_error", lambda: s.sm.untag_resource(SecretId=nm, TagKeys=["tag1"]))


@scenario("test_resource_policy")
def s_policy(s):
    nm = s.name(0)
    s.sm.create_secret(Name=nm, SecretString="secret")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    s.snap("put_resource_policy", lambda: s.sm.put_resource_policy(SecretId=nm, ResourcePolicy=json.dumps(policy)))

    def get():
        res = s.sm.get_resource_policy(SecretId=nm)
        if isinstance(res.get("ResourcePolicy"), str):
            res = dict(res)
            try:
                res["ResourcePolicy"] = json.loads(res["ResourcePolicy"])  # recorded parsed
            except ValueError:
                pass
        return res
    s.snap("get_resource_policy", get)


# ---- rotation --------------------------------------------------------------------------------


@scenario("test_first_rotate_secret_with_missing_lambda_arn")
def s_rotate_no_arn(s):
    nm = s.name(0)
    s.snap("create_secret", lambda: s.sm.create_secret(Name=nm, SecretString="secret"))
    s.snap("rotate_secret_no_arn_exc", lambda: s.sm.rotate_secret(SecretId=nm))
    s.snap("describe_secret", lambda: s.sm.describe_secret(SecretId=nm))


@scenario("test_rotate_secret_invalid_lambda_arn")
def s_rotate_invalid_arn(s):
    nm = s.name(0)
    s.snap("create_secret", lambda: s.sm.create_secret(Name=nm, SecretString="secret"))
    arn = "arn:aws:lambda:%s:%s:function:gt-%s-no-such-function" % (s.r.region, s.r.account, s.r.run_id)
    s.snap("rotate_secret_invalid_arn_exc", lambda: s.sm.rotate_secret(SecretId=nm, RotationLambdaARN=arn, RotationRules={"AutomaticallyAfterDays": 1}))
    s.snap("describe_secret", lambda: s.sm.describe_secret(SecretId=nm))


def wait_rotated(s, nm, version_id):
    """Rotation is asynchronous: wait until AWSCURRENT is on the new version (at most 10 s)."""
    deadline = time.time() + 10
    while time.time() < deadline:
        d = s.sm.describe_secret(SecretId=nm)
        stages = d.get("VersionIdsToStages", {})
        if "AWSCURRENT" in stages.get(version_id, []) and not any("AWSPENDING" in v for v in stages.values()):
            return
        time.sleep(0.2)


def rotate_with_lambda(s, rounds, rotate_immediately):
    nm = s.name(0)
    # A rotation function registered with Keyshift by the test (an HTTP rotator running an aws-samples style function).
    lambda_arn = os.environ.get("GROUNDTRUTH_LAMBDA_ARN") or "arn:aws:lambda:%s:%s:function:gt-%s-rotation" % (s.r.region, s.r.account, s.r.run_id)
    s.b.bind("<lambda-arn:1>", lambda_arn)
    s.sm.create_secret(Name=nm, SecretString=json.dumps({"user": "u", "password": "p"}), Description="testing rotation of secrets")
    for i in range(1, rounds + 1):
        sfx = "" if rounds == 1 else "_%d" % i
        args = {"SecretId": nm, "RotationLambdaARN": lambda_arn, "RotationRules": {"AutomaticallyAfterDays": 1}}
        if rotate_immediately is not None:
            args["RotateImmediately"] = rotate_immediately
        r = s.snap("rotate_secret_immediately" + sfx, lambda: s.sm.rotate_secret(**args))
        wait_rotated(s, nm, s.need(r, "VersionId"))
        s.snap("describe_secret_rotated" + sfx, lambda: s.sm.describe_secret(SecretId=nm))
        s.snap("list_secret_versions_rotated_1" + sfx, lambda: s.sm.list_secret_version_ids(SecretId=nm))


SCENARIOS["test_rotate_secret_with_lambda_success[True]"] = lambda s: rotate_with_lambda(s, 1, True)
SCENARIOS["test_rotate_secret_with_lambda_success[None]"] = lambda s: rotate_with_lambda(s, 1, None)
SCENARIOS["test_rotate_secret_multiple_times_with_lambda_success"] = lambda s: rotate_with_lambda(s, 2, None)


# --------------------------------------------------------------------------------------------
# Self-check of the comparator: every recorded response must match a concrete instance of
# itself, and must not match when a key is dropped or a literal changed.


def instantiate(v, values):
    if isinstance(v, dict):
        return {instantiate(k, values): instantiate(x, values) for k, x in v.items()}
    if isinstance(v, list):
        return [instantiate(x, values) for x in v]
    if v == "datetime":
        return datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    if isinstance(v, str):
        def sub(m):
            ph = m.group(0)
            if ph not in values:
                k = kind_of(ph)
                values[ph] = "-Ab%04d" % len(values) if k == "ArnPart" else "x%d-%s" % (len(values), k)
            return values[ph]
        return PLACEHOLDER.sub(sub, v)
    return v


def mutations(v, path=()):
    """(description, mutated copy) pairs: one key dropped, one string literal changed."""
    out = []
    if isinstance(v, dict):
        for k in v:
            if k == "ResponseMetadata":
                continue
            c = copy.deepcopy(v)
            del c[k]
            out.append(("drop %s" % "/".join(path + (k,)), c))
            for d, sub in mutations(v[k], path + (k,)):
                c = copy.deepcopy(v)
                c[k] = sub
                out.append((d, c))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            for d, sub in mutations(x, path + (str(i),)):
                c = list(v)
                c[i] = sub
                out.append((d, c))
    elif isinstance(v, str) and v != "datetime":
        out.append(("change %s" % "/".join(path), v + "X"))
    return out


def self_check(snapshot):
    failures = []
    checked = 0
    for key, entry in snapshot.items():
        for label, rec in entry["recorded-content"].items():
            exp = prepare_expected(rec, {}, "111122223333")
            b0 = Bindings()
            b0.bind("<account>", "111122223333")
            b0.bind("<partition>", "aws")
            b0.bind("<region>", "us-east-1")
            act = instantiate(exp, {"<account>": "111122223333", "<partition>": "aws", "<region>": "us-east-1"})
            d = []
            compare(exp, prepare_actual(exp, act), label, d, b0)  # binds every placeholder
            if d:
                failures.append("%s %s: instance does not match: %s" % (key, label, d))
            for desc, mut in mutations(act)[:25]:
                d = []
                compare(exp, prepare_actual(exp, mut), label, d, b0.copy())
                checked += 1
                if not d:
                    failures.append("%s %s: mutation not detected: %s" % (key, label, desc))
    # Bijection: two placeholders of one kind must not take the same value.
    b = Bindings()
    d = []
    compare({"a": "<version_uuid:1>", "b": "<version_uuid:2>"}, {"a": "same", "b": "same"}, "bijection", d, b)
    if not d:
        failures.append("two different version placeholders matched one value")
    print(json.dumps({"selfCheck": True, "ok": not failures, "mutationsChecked": checked, "failures": failures[:50]}))


# --------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--only", default=None)
    ap.add_argument("--self-check", action="store_true")
    args = ap.parse_args()
    with open(args.snapshot) as f:
        snapshot = json.load(f)
    if args.self_check:
        self_check(snapshot)
        return
    runner = Runner()
    for key, entry in snapshot.items():
        test_id = key[len(PREFIX):] if key.startswith(PREFIX) else key
        if args.only and args.only not in test_id:
            continue
        recorded = entry["recorded-content"]
        out = {"name": test_id, "todo": todo_for(test_id)}
        fn = SCENARIOS.get(test_id)
        if fn is None:
            out.update(ok=False, diffs=["no replay is implemented for this snapshot entry"])
        else:
            s = Scenario(runner, test_id, recorded)
            aborted = None
            try:
                fn(s)
            except Abort as e:
                aborted = "replay aborted: %s" % e
            except Exception as e:  # noqa: BLE001 - reported as a diff
                aborted = "replay aborted: %s: %s | %s" % (type(e).__name__, e, traceback.format_exc(limit=3).replace("\n", " "))
            finally:
                s.cleanup()
            diffs = s.result(aborted)
            out.update(ok=not diffs, diffs=diffs)
            if diffs:
                out["actual"] = {k: show(prepare_actual(recorded.get(k, {}), v)) for k, v in s.actual.items()}
        print(json.dumps(out, default=str), flush=True)


if __name__ == "__main__":
    main()

"""Deploys a SAM-translated template into a local moto server, as CloudFormation would deploy it.

    python3 tests/deploy/sam_translate.py template.yaml > translated.json
    python3 tests/deploy/moto_deploy.py translated.json [Name=Value ...]

Starts moto in this process on a free 127.0.0.1 port (no AWS account, no network), creates the
artifacts bucket with a small zip under every S3 key the template names, creates the stack through
boto3's CloudFormation client and waits for a final status. Prints one JSON object on stdout:

    {"status": "CREATE_COMPLETE", "reason": "", "failed": [{"logicalId", "type", "reason"}],
     "resources": {logicalId: type},
     "restApis": {logicalId: {"routes": ["POST /v1/auth/start", ...],
                              "stages": {stageName: deploymentId}, "deployments": [id, ...]}}}

Exit status 0 whenever the stack reached a final status, failed or not (the caller asserts); 2 for a
harness error (bad arguments, moto not starting, the time limit passed).

moto's CloudFormation runs CreateStack synchronously: a resource it refuses makes the CreateStack
call itself fail and leaves the stack CREATE_IN_PROGRESS, with no per-resource events. Such a stack
is reported as CREATE_FAILED, with the resource being created when the error was raised under
"failed" (recorded by the instrumentation below), as CloudFormation's CREATE_FAILED event names it.

moto does not cover every resource type and property of this template. The workarounds below make up
for that: each is marked "moto gap:", lives only here, and leaves the template's intent checked
wherever moto can check it: every resource stays in the stack, and its properties go to moto's own
service backend, the code behind the service's API.

Left unchecked, since moto keeps or drops them without checking anything and no workaround would add
a check: a state machine's DefinitionS3Location (moto creates it with an empty definition),
StateMachineType (always STANDARD), LoggingConfiguration and TracingConfiguration; a function's
LoggingConfig; a layer's LayerName and CompatibleArchitectures; a stage's MethodSettings and
AccessLogSetting; the body's x-amazon-apigateway-gateway-responses; parameter constraints
(AllowedPattern, AllowedValues, MinValue, ...). cfn-lint and asl-validator cover those statically.
"""

import io
import json
import logging
import os
import re
import signal
import sys
import time
import uuid
import zipfile

# moto's copy of the AWS managed policies, for AttachRolePolicy below (read when IAM first starts).
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
# Only the explicit dummy credentials below count: a profile named in the environment cannot apply.
for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(name, None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402
from moto.apigateway.models import Deployment, RestAPI, apigateway_backends  # noqa: E402
from moto.awslambda.models import LambdaFunction, LayerVersion, lambda_backends  # noqa: E402
from moto.cloudformation import parsing  # noqa: E402
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException  # noqa: E402
from moto.cloudformation.models import CloudFormationBackend, Stack  # noqa: E402
from moto.iam.models import Role, iam_backends  # noqa: E402
from moto.secretsmanager.models import secretsmanager_backends  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
from moto.ses.models import ses_backends  # noqa: E402
from moto.sqs.models import sqs_backends  # noqa: E402
from moto.cloudwatch.models import (  # noqa: E402
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)
from moto.utilities.utils import get_partition  # noqa: E402

REGION = "us-east-1"
STACK_NAME = "authkit-moto"
# What a deploy passes for parameters without a default (as tests/deploy/sam_translate.py does).
REQUIRED_PARAMETERS = {"TokenIssuer": "https://auth.example.com"}
# The whole run, moto's start included; moto creates a stack in well under a second per resource.
TIME_LIMIT_SECONDS = 90


class HarnessError(Exception):
    """Something other than the template went wrong: exit status 2."""


# ------------------------------------------------------------------------------------------------
# Instrumentation (not a workaround): why CreateStack failed, and on which resource. moto turns an
# error that is not one of its service errors into a bare HTTP 500, so the errors are kept here.

failures: list[dict] = []  # the resource that failed first, as a CREATE_FAILED event names it
stack_errors: list[str] = []  # the error CreateStack ended with
created: dict[str, str] = {}  # logical id: type, of what moto created before that


def describe(error):
    """"Code: message", as an error event reads, from moto's service errors and any other."""
    code = getattr(error, "code", None) or getattr(error, "error_type", None)
    message = getattr(error, "message", None) or str(error)
    return f"{code if isinstance(code, str) else type(error).__name__}: {message}"


_moto_parse_and_create_resource = parsing.parse_and_create_resource


def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
    try:
        resource = _moto_parse_and_create_resource(
            logical_id, resource_json, resources_map, account_id, region_name
        )
        if resource is not None:
            created[logical_id] = resource_json["Type"]
        return resource
    except Exception as error:
        # moto creates the resources a resource refers to from inside its own creation, so the
        # error passes through every resource waiting on the failed one: the first is the cause.
        if not failures:
            failures.append(
                {
                    "logicalId": logical_id,
                    "type": resource_json.get("Type"),
                    "reason": describe(error),
                }
            )
        raise


parsing.parse_and_create_resource = parse_and_create_resource
_moto_create_stack = CloudFormationBackend.create_stack


def create_stack(self, *args, **kwargs):
    try:
        return _moto_create_stack(self, *args, **kwargs)
    except Exception as error:
        stack_errors.append(describe(error))
        raise


CloudFormationBackend.create_stack = create_stack

# Speed (not a gap): moto reads every template body with PyYAML's pure-Python loader, more than a
# second for this one. The JSON body sent here is read as JSON, to the same document.
_moto_parse_template = Stack.parse_template


def parse_template(template):
    try:
        return json.loads(template)
    except ValueError:
        return _moto_parse_template(template)


Stack.parse_template = staticmethod(parse_template)


# ------------------------------------------------------------------------------------------------
# Workarounds on moto's own models.

# moto gap: AWS::ApiGateway::RestApi requires Name and ignores Body. CloudFormation names the API
# after the body's info.title when Name is absent, and imports the body (PutRestApi) as the API's
# resources and methods; without that import, moto's Deployment refuses an API with no methods. The
# body (its intrinsics resolved by moto) goes through moto's PutRestApi code, in "overwrite" mode as
# CloudFormation imports it, with the template's FailOnWarnings.
_moto_create_rest_api = RestAPI.create_from_cloudformation_json


def create_rest_api(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json["Properties"]
    body = properties.get("Body")
    if body is not None and "Name" not in properties:
        properties["Name"] = body["info"]["title"]
    api = _moto_create_rest_api(
        resource_name, cloudformation_json, account_id, region_name, **kwargs
    )
    if body is not None:
        apigateway_backends[account_id][region_name].put_rest_api(
            api.id, body, fail_on_warnings=properties.get("FailOnWarnings", False), mode="overwrite"
        )
    return api


RestAPI.create_from_cloudformation_json = classmethod(create_rest_api)

# moto gap: Ref to an AWS::ApiGateway::Deployment gives moto's object, not the deployment id (the
# model has no physical_resource_id), so a Stage's DeploymentId cannot name it.
Deployment.physical_resource_id = property(lambda deployment: deployment.id)

# moto gap: Ref to an AWS::Lambda::LayerVersion gives moto's object, not the layer version's ARN
# (the model has no physical_resource_id), so a function's Layers cannot name it.
LayerVersion.physical_resource_id = property(lambda layer_version: layer_version.arn)

# moto gap: AWS::Lambda::Function through CloudFormation drops Architectures, Layers and
# TracingConfig, which moto's CreateFunction accepts and checks (the architecture against its enum,
# each layer version for existence). They are applied to the created function as CreateFunction
# would apply them. (LoggingConfig is not modelled by moto at all: its Ref is resolved, no more.)
_moto_create_function = LambdaFunction.create_from_cloudformation_json


def create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    function = _moto_create_function(
        resource_name, cloudformation_json, account_id, region_name, **kwargs
    )
    properties = cloudformation_json["Properties"]
    if "Architectures" in properties:
        function.architectures = properties["Architectures"]  # validated by moto's setter
    if "Layers" in properties:
        function.update_configuration({"Layers": properties["Layers"]})
    if "TracingConfig" in properties:
        function.tracing_config = properties["TracingConfig"]
    return function


LambdaFunction.create_from_cloudformation_json = classmethod(create_function)

# moto gap: AWS::IAM::Role ignores ManagedPolicyArns. They are attached as CloudFormation attaches
# them, through moto's AttachRolePolicy, which refuses a policy that does not exist.
_moto_create_role = Role.create_from_cloudformation_json


def create_role(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    role = _moto_create_role(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = iam_backends[account_id][get_partition(region_name)]
    for policy_arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
        backend.attach_role_policy(policy_arn, role.name)
    return role


Role.create_from_cloudformation_json = classmethod(create_role)

# moto gap: Ref AWS::NoValue (e.g. the false branch of an Fn::If) resolves to None, which moto drops
# as a property value but keeps as a list element (SAM writes such a list for a conditional policy,
# and moto's IAM role then fails on the None). CloudFormation removes the element from the list.
_moto_clean_json = parsing.clean_json


def clean_json(resource_json, resources_map):
    cleaned = _moto_clean_json(resource_json, resources_map)
    if isinstance(resource_json, list):
        return [value for value in cleaned if value is not None]
    return cleaned


parsing.clean_json = clean_json


# ------------------------------------------------------------------------------------------------
# moto gap: resource types moto's CloudFormation has no model for. moto skips such a resource with a
# warning (and a Ref to it silently becomes nothing), so each gets a small handler here that creates
# it through moto's service backend, the code behind that service's API.


class Created:
    """A resource created by one of the handlers below, as moto's stack holds it."""

    def __init__(self, physical_resource_id, attributes=None):
        self.physical_resource_id = physical_resource_id
        self.attributes = attributes or {}

    def get_cfn_attribute(self, name):
        if name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[name]

    def is_created(self):
        return True


class Handler:
    """What moto's CloudFormation calls on a model class (moto's CloudFormationModel cannot be
    subclassed outside moto's package), for a type this harness creates."""

    TYPE = ""
    ATTRIBUTES: tuple[str, ...] = ()

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in cls.ATTRIBUTES

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        return cls.create(resource_name, cloudformation_json["Properties"], account_id, region_name)


class ApiGatewayStage(Handler):
    """moto gap: AWS::ApiGateway::Stage. CreateStage on the API, after checking that the deployment
    exists, which API Gateway does and moto's CreateStage does not. MethodSettings and
    AccessLogSetting are not applied: moto would keep them without checking anything."""

    TYPE = "AWS::ApiGateway::Stage"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        backend = apigateway_backends[account_id][region_name]
        rest_api_id, deployment_id = properties["RestApiId"], properties["DeploymentId"]
        backend.get_deployment(rest_api_id, deployment_id)  # raises for an unknown deployment
        stage = backend.create_stage(
            rest_api_id,
            properties.get("StageName", resource_name),
            deployment_id,
            variables=properties.get("Variables"),
            description=properties.get("Description", ""),
            tracing_enabled=properties.get("TracingEnabled"),
        )
        return Created(stage.name)


class ApiGatewayAccount(Handler):
    """moto gap: AWS::ApiGateway::Account. UpdateAccount with the CloudWatch role."""

    TYPE = "AWS::ApiGateway::Account"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        role_arn = properties["CloudWatchRoleArn"]
        apigateway_backends[account_id][region_name].update_account(
            [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
        )
        return Created(resource_name)


class WaitConditionHandle(Handler):
    """moto gap: AWS::CloudFormation::WaitConditionHandle is ignored by moto (left out of the stack,
    its Metadata never resolved). It has no properties; the Metadata (here a Ref that orders the
    handle after ApiGatewayAccount) is resolved like CloudFormation resolves it."""

    TYPE = "AWS::CloudFormation::WaitConditionHandle"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        host = f"cloudformation-waitcondition-{region_name}.s3.amazonaws.com"
        return Created(f"https://{host}/{resource_name}")


class SecretsManagerSecret(Handler):
    """moto gap: AWS::SecretsManager::Secret. CreateSecret, with GenerateSecretString's value from
    moto's GetRandomPassword (which checks the options). Ref is the ARN, as in CloudFormation."""

    TYPE = "AWS::SecretsManager::Secret"
    ATTRIBUTES = ("Id",)

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        backend = secretsmanager_backends[account_id][region_name]
        secret_string = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if generate is not None:
            password = json.loads(
                backend.get_random_password(
                    password_length=generate.get("PasswordLength", 32),
                    exclude_characters=generate.get("ExcludeCharacters", ""),
                    exclude_numbers=generate.get("ExcludeNumbers", False),
                    exclude_punctuation=generate.get("ExcludePunctuation", False),
                    exclude_uppercase=generate.get("ExcludeUppercase", False),
                    exclude_lowercase=generate.get("ExcludeLowercase", False),
                    include_space=generate.get("IncludeSpace", False),
                    require_each_included_type=generate.get("RequireEachIncludedType", True),
                )
            )["RandomPassword"]
            secret_string = password
            if "SecretStringTemplate" in generate:
                secret = json.loads(generate["SecretStringTemplate"])
                secret[generate["GenerateStringKey"]] = password
                secret_string = json.dumps(secret)
        created = json.loads(
            backend.create_secret(
                name=properties.get("Name", resource_name),
                secret_string=secret_string,
                secret_binary=None,
                description=properties.get("Description"),
                tags=properties.get("Tags"),
                kms_key_id=properties.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=properties.get("ReplicaRegions", []),
                force_overwrite=False,
            )
        )
        return Created(created["ARN"], {"Id": created["ARN"]})


def condition_values(statement, key, absent=()):
    """The values a policy statement's Condition gives `key` (condition keys are case-insensitive:
    moto writes AWS:SourceArn), or `absent` when it names no such key."""
    values = [
        value
        for block in statement.get("Condition", {}).values()
        for name, given in block.items()
        if name.lower() == key.lower()
        for value in (given if isinstance(given, list) else [given])
    ]
    return values or list(absent)


class SecretsManagerRotationSchedule(Handler):
    """moto gap: AWS::SecretsManager::RotationSchedule. What Secrets Manager checks when rotation is
    turned on, through moto's backends: the secret exists; the function exists and its resource
    policy lets secretsmanager.amazonaws.com invoke it (for this account, and for this secret when
    the policy names one), which a permission created after the schedule would not yet do; the days
    are within 1-1000. Rotation is then recorded on moto's secret as RotateSecret records it. moto's
    RotateSecret is not called: it would invoke the function in Docker (testSecret, which Secrets
    Manager runs when RotateImmediatelyOnUpdate is false), and the harness has no Docker; the
    function's steps run against the local Secrets Manager in tests/integration/key-rotation.test.ts."""

    TYPE = "AWS::SecretsManager::RotationSchedule"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        secrets = secretsmanager_backends[account_id][region_name]
        secret_id = properties["SecretId"]
        secret_arn = secrets.describe_secret(secret_id).arn  # raises for an unknown secret
        function_arn = properties["RotationLambdaARN"]
        functions = lambda_backends[account_id][region_name]
        # GetPolicy's answer: the policy document as a JSON string. Raises for an unknown function.
        policy = json.loads(json.loads(functions.get_policy(function_arn))["Policy"])
        if not any(
            statement.get("Principal", {}).get("Service") == "secretsmanager.amazonaws.com"
            and statement.get("Action") == "lambda:InvokeFunction"
            and account_id in condition_values(statement, "aws:SourceAccount")
            and secret_arn in condition_values(statement, "aws:SourceArn", [secret_arn])
            for statement in policy["Statement"]
        ):
            raise ValueError(
                "AccessDeniedException: Secrets Manager cannot invoke the specified Lambda function. "
                "Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com."
            )
        days = int(properties.get("RotationRules", {}).get("AutomaticallyAfterDays", 0))
        if not 1 <= days <= 1000:
            raise ValueError("InvalidParameterException: RotationRules.AutomaticallyAfterDays must be within 1-1000.")
        secret = secrets.secrets[secret_id]
        secret.rotation_lambda_arn = function_arn
        secret.auto_rotate_after_days = days
        secret.rotation_enabled = True
        return Created(secret_arn)


class SesConfigurationSet(Handler):
    """moto gap: AWS::SES::ConfigurationSet. SESv2 CreateConfigurationSet (same option shapes)."""

    TYPE = "AWS::SES::ConfigurationSet"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        name = properties.get("Name", resource_name)
        ses_backends[account_id][region_name].create_configuration_set_v2(
            configuration_set_name=name,
            tracking_options=properties.get("TrackingOptions", {}),
            delivery_options=properties.get("DeliveryOptions", {}),
            reputation_options=properties.get("ReputationOptions", {}),
            sending_options=properties.get("SendingOptions", {}),
            tags=properties.get("Tags", []),
            suppression_options=properties.get("SuppressionOptions", {}),
            vdm_options=properties.get("VdmOptions", {}),
        )
        return Created(name)


class SesConfigurationSetEventDestination(Handler):
    """moto gap: AWS::SES::ConfigurationSetEventDestination. CreateConfigurationSetEventDestination,
    which refuses an unknown configuration set."""

    TYPE = "AWS::SES::ConfigurationSetEventDestination"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        destination = dict(properties["EventDestination"])
        destination.setdefault("Name", resource_name)
        ses_backends[account_id][region_name].create_configuration_set_event_destination(
            properties["ConfigurationSetName"], destination
        )
        return Created(destination["Name"])


class SmsVoiceConfigurationSet(Handler):
    """moto gap: AWS::SMSVOICE::ConfigurationSet. moto has no End User Messaging SMS at all, so no
    backend can create it: the properties are checked against the patterns of the resource's
    CloudFormation schema, and the name (the Ref) is generated as CloudFormation generates one."""

    TYPE = "AWS::SMSVOICE::ConfigurationSet"
    ATTRIBUTES = ("Arn",)
    PATTERNS = {
        "ConfigurationSetName": r"[A-Za-z0-9_-]{1,64}",
        "DefaultSenderId": r"[A-Za-z0-9_-]+",
        "ProtectConfigurationId": r"[A-Za-z0-9_:/-]{1,256}",
    }

    @classmethod
    def create(cls, resource_name, properties, account_id, region_name):
        for name, value in properties.items():
            pattern = cls.PATTERNS.get(name)
            if pattern is None and name not in ("EventDestinations", "Tags", "MessageFeedbackEnabled"):
                raise ValueError(f"ValidationException: unknown property {name}")
            if pattern is not None and not re.fullmatch(pattern, str(value)):
                raise ValueError(f"ValidationException: {name} does not match {pattern}")
        name = properties.get("ConfigurationSetName") or f"{resource_name}-{uuid.uuid4().hex[:12]}"
        arn = f"arn:aws:sms-voice:{region_name}:{account_id}:configuration-set/{name}"
        return Created(name, {"Arn": arn})

class XRaySamplingRule(Handler):
    """moto gap: AWS::XRay::SamplingRule. moto's X-Ray keeps segments, not sampling rules: the rule
    is checked against the bounds of X-Ray's SamplingRule (CreateSamplingRule refuses what breaks
    them), and its name and ARN are what X-Ray would answer."""

    TYPE = "AWS::XRay::SamplingRule"
    ATTRIBUTES = ("RuleName", "RuleARN")
    LENGTHS = {"RuleName": (1, 32), "ServiceName": (0, 64), "ServiceType": (0, 64), "Host": (0, 64),
               "HTTPMethod": (0, 10), "URLPath": (0, 128), "ResourceARN": (0, 500)}
    REQUIRED = ("FixedRate", "Host", "HTTPMethod", "Priority", "ReservoirSize", "ResourceARN",
                "ServiceName", "ServiceType", "URLPath", "Version")

    @classmethod
    def create(cls, resource_name, properties, account_id, region_name):
        rule = properties["SamplingRule"]
        missing = [name for name in cls.REQUIRED + ("RuleName",) if name not in rule]
        if missing:
            raise ValueError(f"ValidationException: the sampling rule has no {', '.join(missing)}")
        for name, (low, high) in cls.LENGTHS.items():
            if not low <= len(str(rule[name])) <= high:
                raise ValueError(f"ValidationException: {name} must be {low} to {high} characters")
        if not 1 <= int(rule["Priority"]) <= 9999 or int(rule["ReservoirSize"]) < 0:
            raise ValueError("ValidationException: Priority is 1 to 9999, ReservoirSize at least 0")
        if not 0 <= float(rule["FixedRate"]) <= 1 or int(rule["Version"]) != 1:
            raise ValueError("ValidationException: FixedRate is 0 to 1, Version 1")
        arn = f"arn:aws:xray:{region_name}:{account_id}:sampling-rule/{rule['RuleName']}"
        return Created(arn, {"RuleName": rule["RuleName"], "RuleARN": arn})


class SqsQueuePolicy(Handler):
    """moto gap: AWS::SQS::QueuePolicy is left out of the stack. SetQueueAttributes with the policy on
    each queue (Ref of a queue is its URL), which refuses an unknown queue."""

    TYPE = "AWS::SQS::QueuePolicy"

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        backend = sqs_backends[account_id][region_name]
        for url in properties["Queues"]:
            backend.set_queue_attributes(
                url.rsplit("/", 1)[-1], {"Policy": json.dumps(properties["PolicyDocument"])}
            )
        return Created(resource_name)


class CloudWatchAlarm(Handler):
    """moto gap: AWS::CloudWatch::Alarm is left out of the stack. PutMetricAlarm with its metric,
    dimensions (resolved, so an unknown queue fails the stack) and thresholds, or with its metric
    math (`Metrics`), which must name a metric or an expression in every query."""

    TYPE = "AWS::CloudWatch::Alarm"
    ATTRIBUTES = ("Arn",)

    @staticmethod
    def create(resource_name, properties, account_id, region_name):
        name = properties.get("AlarmName", resource_name)
        queries = [CloudWatchAlarm.query(q) for q in properties.get("Metrics", [])]
        if queries == [] and "MetricName" not in properties:
            raise ValueError("ValidationException: an alarm needs MetricName or Metrics")
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            metric_data_queries=queries or None,
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(properties["Period"]) if "Period" in properties else None,
            threshold=float(properties["Threshold"]),
            statistic=properties.get("Statistic"),
            description=properties.get("AlarmDescription", ""),
            dimensions=properties.get("Dimensions", []),
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            treat_missing_data=properties.get("TreatMissingData"),
        )
        return Created(name, {"Arn": alarm.alarm_arn})

    @staticmethod
    def query(q):
        stat = q.get("MetricStat")
        if stat is None and "Expression" not in q:
            raise ValueError(f"ValidationException: metric query {q.get('Id')} has no MetricStat or Expression")
        metric_stat = None
        if stat is not None:
            metric = stat["Metric"]
            dimensions = [Dimension(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])]
            metric_stat = MetricStat(
                Metric(metric["MetricName"], metric["Namespace"], dimensions),
                str(stat["Period"]),
                stat["Stat"],
                stat.get("Unit"),
            )
        return MetricDataQuery(
            q["Id"], q.get("Label"), str(q.get("Period", "")), str(q.get("ReturnData", True)),
            q.get("Expression"), metric_stat,
        )


HANDLERS = {
    handler.TYPE: handler
    for handler in (
        ApiGatewayStage,
        ApiGatewayAccount,
        WaitConditionHandle,
        SecretsManagerSecret,
        SecretsManagerRotationSchedule,
        SesConfigurationSet,
        SesConfigurationSetEventDestination,
        SmsVoiceConfigurationSet,
        SqsQueuePolicy,
        CloudWatchAlarm,
        XRaySamplingRule,
    )
}
_moto_resource_class_from_type = parsing.resource_class_from_type


def resource_class_from_type(resource_type):
    # A type moto comes to support itself keeps moto's model (and this handler goes unused).
    if resource_type in HANDLERS and resource_type not in parsing.get_model_map():
        return HANDLERS[resource_type]
    return _moto_resource_class_from_type(resource_type)


parsing.resource_class_from_type = resource_class_from_type


# ------------------------------------------------------------------------------------------------
# The deploy.


def s3_locations(node):
    """Every (bucket, key) the template names: Code/Content, *S3Location and s3:// URIs."""
    if isinstance(node, dict):
        if isinstance(node.get("S3Bucket"), str) and isinstance(node.get("S3Key"), str):
            yield node["S3Bucket"], node["S3Key"]
        if isinstance(node.get("Bucket"), str) and isinstance(node.get("Key"), str):
            yield node["Bucket"], node["Key"]
        for value in node.values():
            yield from s3_locations(value)
    elif isinstance(node, list):
        for value in node:
            yield from s3_locations(value)
    elif isinstance(node, str) and node.startswith("s3://"):
        bucket, _, key = node[len("s3://") :].partition("/")
        yield bucket, key


def small_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.mjs", "export const handler = async () => ({ statusCode: 200 });\n")
    return buffer.getvalue()


def rest_api_state(apigateway, rest_api_id):
    """What moto holds for a REST API: its routes, its stages and its deployments."""
    resources = apigateway.get_resources(restApiId=rest_api_id, embed=["methods"], limit=500)
    routes = sorted(
        f"{method} {resource['path']}"
        for resource in resources["items"]
        for method in resource.get("resourceMethods", {})
    )
    stages = apigateway.get_stages(restApiId=rest_api_id)["item"]
    deployments = apigateway.get_deployments(restApiId=rest_api_id, limit=500)["items"]
    return {
        "routes": routes,
        "stages": {stage["stageName"]: stage.get("deploymentId") for stage in stages},
        "deployments": sorted(deployment["id"] for deployment in deployments),
    }


def deploy(template, parameters, endpoint, deadline):
    config = Config(
        region_name=REGION,
        # A refused CreateStack must not be sent again (the retry would meet AlreadyExists).
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=max(5, int(deadline - time.monotonic())),
    )
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    s3, cloudformation, apigateway = (
        session.client(service, endpoint_url=endpoint, config=config)
        for service in ("s3", "cloudformation", "apigateway")
    )

    artifact = small_zip()
    for bucket, key in sorted(set(s3_locations(template["Resources"]))):
        if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=artifact)

    result = {"status": "", "reason": "", "failed": [], "resources": {}}
    try:
        cloudformation.create_stack(
            StackName=STACK_NAME,
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    except Exception as error:
        # Refused during CreateStack (moto creates synchronously): see the module docstring. An
        # error that did not come from moto's CloudFormation (connection, ...) is the harness's.
        # (botocore raises ResponseParserError, no ClientError, for moto's bare HTTP 500.)
        if not stack_errors:
            raise HarnessError(f"CreateStack: {error}") from error
        result["status"] = "CREATE_FAILED"
        result["reason"] = stack_errors[0]
        # ListStackResources would retry the failed creation: what moto created, as recorded above.
        result["resources"] = created
        stack = {"logicalId": STACK_NAME, "type": "AWS::CloudFormation::Stack"}
        result["failed"] = failures or [{**stack, "reason": result["reason"]}]
        return result

    while True:
        stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise HarnessError(f"stack still {stack['StackStatus']} at the time limit")
        time.sleep(0.2)
    result["status"] = stack["StackStatus"]
    result["reason"] = stack.get("StackStatusReason", "")
    events = cloudformation.describe_stack_events(StackName=STACK_NAME)["StackEvents"]
    result["failed"] = [
        {
            "logicalId": event["LogicalResourceId"],
            "type": event["ResourceType"],
            "reason": event.get("ResourceStatusReason", ""),
        }
        for event in events
        if event["ResourceStatus"].endswith("_FAILED")
    ]
    summaries = cloudformation.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    # moto lists a resource of a type it has no model for (skipped, with a warning on stderr) as an
    # entry with no logical id and no type: it is missing here, for the caller to see.
    result["resources"] = {
        summary["LogicalResourceId"]: summary["ResourceType"]
        for summary in summaries
        if summary["LogicalResourceId"]
    }
    result["restApis"] = {
        summary["LogicalResourceId"]: rest_api_state(apigateway, summary["PhysicalResourceId"])
        for summary in summaries
        if summary["ResourceType"] == "AWS::ApiGateway::RestApi"
    }
    return result


def on_time_limit(signum, frame):
    raise HarnessError(f"no final status within {TIME_LIMIT_SECONDS} s")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGALRM, on_time_limit)
    signal.alarm(TIME_LIMIT_SECONDS)
    deadline = time.monotonic() + TIME_LIMIT_SECONDS - 5
    server = None
    try:
        with open(argv[1], encoding="utf-8") as file:
            template = json.load(file)
        parameters = dict(REQUIRED_PARAMETERS)
        parameters.update(pair.split("=", 1) for pair in argv[2:])

        logging.getLogger("werkzeug").disabled = True  # one line per request, and 500 tracebacks
        # Port 0: the system picks a free port as the server binds (no window for another process).
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        result = deploy(template, parameters, f"http://{host}:{port}", deadline)
    except (HarnessError, OSError, ValueError, KeyError, ClientError, BotoCoreError) as error:
        print(f"moto_deploy: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

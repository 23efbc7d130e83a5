"""The SAM transform of a template, run offline as CloudFormation runs it at deploy time.

    python3 tests/deploy/sam_translate.py TEMPLATE [Name=Value ...] > translated.json

aws-sam-translator (installed with cfn-lint) is the code behind the AWS::Serverless-2016-10-31
transform. As `sam package` would, local artifact paths (CodeUri, ContentUri, DefinitionUri) are
replaced by s3:// URIs first; the transform refuses anything else. Parameter values are those a
deploy passes (TokenIssuer has no default). Prints the translated template as JSON, or the
transform's errors on stderr with exit status 1.
"""

import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

ARTIFACT_BUCKET = "authkit-artifacts"
ARTIFACT_PROPERTIES = ("CodeUri", "ContentUri", "DefinitionUri")


def packaged(template):
    """What `sam package` leaves of the local paths: S3 locations keyed by resource."""
    globals_function = template.get("Globals", {}).get("Function", {})
    if isinstance(globals_function.get("CodeUri"), str):
        globals_function["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/functions.zip"
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for name in ARTIFACT_PROPERTIES:
            if isinstance(properties.get(name), str):
                properties[name] = f"s3://{ARTIFACT_BUCKET}/{logical_id}.zip"
    return template


class NoManagedPolicies:
    """The template names managed policies by ARN only, so there is nothing to look up."""

    def load(self):
        return {}


def main(argv):
    with open(argv[1], encoding="utf-8") as file:
        template = packaged(yaml_parse(file.read()))
    parameters = {"TokenIssuer": "https://auth.example.com"}
    parameters.update(pair.split("=", 1) for pair in argv[2:])
    try:
        translated = transform(template, parameters, NoManagedPolicies())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(cause.message, file=sys.stderr)
        return 1
    json.dump(translated, sys.stdout, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

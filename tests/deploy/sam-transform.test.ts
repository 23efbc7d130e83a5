/**
 * template.yaml as CloudFormation will see it: the SAM transform (aws-sam-translator, the code behind
 * AWS::Serverless-2016-10-31) run offline by sam_translate.py. cfn-lint passing says little here: it
 * was green while the translated API had no routes and its Deployment could never be created.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${…} here are CloudFormation's Fn::Sub.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { samTranslated } from '../support/python.ts';
import { ROTATION_OPERATIONS } from '../support/secrets-manager.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resource = {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties: Record<string, Json>;
};

const translated = samTranslated<{ Resources: Record<string, Resource> }>(REPO_ROOT);

// The SAM template itself, for what the transform consumes (the functions' Api events).
const sam = JSON.parse(
  execFileSync(
    'python3',
    [
      '-c',
      'import json,sys; from samtranslator.yaml_helper import yaml_parse; print(json.dumps(yaml_parse(open(sys.argv[1]).read())))',
      join(REPO_ROOT, 'template.yaml'),
    ],
    { encoding: 'utf8' },
  ),
) as { Resources: Record<string, { Type: string; Properties?: Record<string, Json> }> };

const resources = Object.entries(translated.Resources);
const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
const refOf = (value: Json | undefined) => (value as { Ref?: string } | null)?.Ref;
const text = (value: Json | undefined) => JSON.stringify(value ?? null);

describe('the REST API CloudFormation creates', () => {
  const [apiId, api] = ofType('AWS::ApiGateway::RestApi')[0] ?? [];
  const body = (api?.Properties.Body ?? {}) as {
    paths?: Record<string, Record<string, { 'x-amazon-apigateway-integration'?: { uri?: Json } }>>;
    'x-amazon-apigateway-gateway-responses'?: Record<string, { responseParameters?: Record<string, string> }>;
  };

  it('has every Api event of every function as a method that invokes that function', () => {
    const events = Object.entries(sam.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .flatMap(([id, resource]) =>
        Object.values(
          (resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Json }>,
        )
          .filter((event) => event.Type === 'Api')
          .map((event) => ({ id, ...(event.Properties as { Path: string; Method: string }) })),
      );
    expect(events.length).toBeGreaterThanOrEqual(9);
    for (const { id, Path, Method } of events) {
      const method = body.paths?.[Path]?.[Method.toLowerCase()];
      expect({
        route: `${Method} ${Path}`,
        integrates: text(method?.['x-amazon-apigateway-integration']?.uri),
      }).toEqual({
        route: `${Method} ${Path}`,
        integrates: expect.stringContaining(`\${${id}.Arn}`),
      });
    }
  });

  it('is deployed to its stage by a Deployment of that API', () => {
    const deployments = ofType('AWS::ApiGateway::Deployment').filter(
      ([, d]) => refOf(d.Properties.RestApiId) === apiId,
    );
    expect(deployments).toHaveLength(1);
    const [stage] = ofType('AWS::ApiGateway::Stage').map(([, s]) => s);
    expect(refOf(stage?.Properties.DeploymentId)).toBe(deployments[0]?.[0]);
  });

  it("answers API Gateway's own errors as problem+json with the request id", () => {
    const responses = body['x-amazon-apigateway-gateway-responses'] ?? {};
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      expect(responses[type]?.responseParameters).toEqual({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.x-request-id': 'context.requestId',
      });
    }
  });

  it("waits for the account's CloudWatch role, which access logs need in a fresh account", () => {
    const [accountId, account] = ofType('AWS::ApiGateway::Account')[0] ?? [];
    expect(account?.Condition).toBe('CreatesApiGatewayAccountRole');
    const waits = [api?.DependsOn ?? []].flat();
    const handles = waits.map((id) => translated.Resources[id]);
    expect(handles.some((handle) => text(handle).includes(`"Ref":"${accountId}"`))).toBe(true);
  });
});

describe("the traces of a magic link's page", () => {
  const rules = ofType('AWS::XRay::SamplingRule').map(
    ([, rule]) => rule.Properties.SamplingRule as Record<string, Json>,
  );
  /** X-Ray's wildcards: `*` any characters, `?` one. */
  const matches = (pattern: Json | undefined, value: string) =>
    new RegExp(
      `^${String(pattern)
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
    ).test(value);
  const ruleFor = (method: string, path: string) =>
    rules
      .filter((rule) => rule.ServiceType === 'AWS::ApiGateway::Stage' && matches(rule.HTTPMethod, method))
      .find((rule) => matches(rule.URLPath, path));

  it.each([
    ['GET', '/live/v1/auth/magic-link'],
    ['HEAD', '/live/v1/auth/magic-link'],
    ['GET', '/v1/auth/magic-link'],
  ])('are never sampled for %s %s: API Gateway records the URL with its query, the token', (method, path) => {
    expect(ruleFor(method, path)).toMatchObject({
      FixedRate: 0,
      ReservoirSize: 0,
      Host: '*',
      ResourceARN: '*',
    });
  });

  it("leave every other route traced, the link's verify included (its token is in the body)", () => {
    expect(ruleFor('POST', '/live/v1/auth/magic-link/verify')).toBeUndefined();
    expect(ruleFor('POST', '/live/v1/auth/start')).toBeUndefined();
  });
});

describe('the functions CloudFormation creates', () => {
  const functions = ofType('AWS::Lambda::Function');
  const roleOf = (fn: Resource) =>
    translated.Resources[(fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? ''];
  type Policy = { PolicyDocument?: { Statement: Record<string, Json>[] }; 'Fn::If'?: Json[] };
  // A conditional policy (the captcha secret's) is an Fn::If: both branches count.
  const statementsIn = (policy: Policy): Record<string, Json>[] =>
    policy['Fn::If']
      ? policy['Fn::If'].slice(1).flatMap((branch) => statementsIn(branch as Policy))
      : (policy.PolicyDocument?.Statement ?? []);
  // Inline policies, and the stack's own managed policies the role attaches (SendMessagesPolicy).
  const statementsOf = (fn: Resource) => {
    const role = roleOf(fn)?.Properties;
    const managed = ((role?.ManagedPolicyArns ?? []) as Json[])
      .map((arn) => translated.Resources[refOf(arn) ?? '']?.Properties as Policy | undefined)
      .filter((policy) => policy !== undefined);
    return [...((role?.Policies ?? []) as Policy[]), ...managed].flatMap(statementsIn);
  };

  it('are all there, each with its own log group that expires', () => {
    expect(functions.length).toBeGreaterThanOrEqual(11);
    for (const [id, fn] of functions) {
      const group =
        translated.Resources[refOf((fn.Properties.LoggingConfig as { LogGroup?: Json })?.LogGroup) ?? ''];
      expect({ id, type: group?.Type, retention: refOf(group?.Properties.RetentionInDays) }).toEqual({
        id,
        type: 'AWS::Logs::LogGroup',
        retention: 'LogRetentionDays',
      });
    }
  });

  it('hold no secret in their configuration: at most the id of a secret they may read', () => {
    for (const [id, fn] of functions) {
      const variables = ((fn.Properties.Environment as { Variables?: Record<string, Json> })?.Variables ??
        {}) as Record<string, Json>;
      expect({ id, environment: text(variables) }).not.toEqual({
        id,
        environment: expect.stringMatching(/resolve:(secretsmanager|ssm-secure)/),
      });
      for (const [name, value] of Object.entries(variables).filter(([name]) => name.endsWith('_SECRET_ID'))) {
        const secret = refOf(value);
        if (secret === undefined) continue; // a secret named by a parameter (the captcha's, the proxy's)
        expect(translated.Resources[secret]?.Type).toBe('AWS::SecretsManager::Secret');
        const reads = statementsOf(fn).filter(
          (statement) =>
            [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
            text(statement.Resource).includes(`{"Ref":"${secret}"}`) &&
            !text(statement.Resource).includes('*'),
        );
        expect({ id, name, reads: reads.length }).toEqual({ id, name, reads: 1 });
      }
    }
  });

  it('may send SMS to phone numbers but publish to no topic', () => {
    const publishes = functions
      .flatMap(([, fn]) => statementsOf(fn))
      .filter((s) => [s.Action].flat().includes('sns:Publish'));
    expect(publishes.length).toBeGreaterThan(0);
    for (const statement of publishes) {
      expect({ resource: statement.Resource, notResource: statement.NotResource }).toEqual({
        resource: undefined,
        notResource: { 'Fn::Sub': 'arn:${AWS::Partition}:sns:*:*:*' },
      });
    }
  });

  it('may send mail only from EmailFrom, only through the configuration set', () => {
    const sends = functions
      .flatMap(([, fn]) => statementsOf(fn))
      .filter((s) => [s.Action].flat().includes('ses:SendEmail'));
    expect(sends.length).toBeGreaterThan(0);
    const arn = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';
    for (const statement of sends) {
      expect({ resource: statement.Resource, condition: statement.Condition }).toEqual({
        resource: [
          { 'Fn::Sub': `${arn}:identity/*` },
          { 'Fn::Sub': `${arn}:configuration-set/\${EmailConfigurationSet}` },
        ],
        condition: { StringEquals: { 'ses:FromAddress': { Ref: 'EmailFrom' } } },
      });
    }
  });

  it("may read the captcha provider's secret by its name, and no other secret", () => {
    const [, captcha] = functions.find(([id]) => id === 'VerifyCaptchaFunction') ?? [];
    if (!captcha) throw new Error('no VerifyCaptchaFunction');
    const reads = statementsOf(captcha).filter((s) =>
      [s.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(reads.map((s) => s.Resource)).toEqual([
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${CaptchaSecretName}-??????',
      },
    ]);
  });

  it("may read the proxy's secret by its name: start and resend, which read the ASN header, alone", () => {
    const proxySecret = {
      'Fn::Sub':
        'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${ProxySecretName}-??????',
    };
    const readers = functions
      .filter(([, fn]) =>
        statementsOf(fn).some(
          (s) =>
            [s.Action].flat().includes('secretsmanager:GetSecretValue') &&
            text(s.Resource).includes('ProxySecretName'),
        ),
      )
      .map(([id]) => id)
      .sort();
    expect(readers).toEqual(['ResendFunction', 'StartFunction']);
    for (const [, fn] of functions.filter(([id]) => readers.includes(id))) {
      const reads = statementsOf(fn).filter((s) => text(s.Resource).includes('ProxySecretName'));
      expect(reads).toEqual([
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: proxySecret },
      ]);
    }
  });
});

describe('the signing-key rotation CloudFormation creates', () => {
  const schedule = translated.Resources.SigningKeyRotationSchedule;
  const permission = translated.Resources.SigningKeyRotationPermission;
  const fn = translated.Resources.SigningKeyRotationFunction;
  const statementsOf = (resource: Resource | undefined) => {
    const role = (resource?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined)?.['Fn::GetAtt'][0];
    const policies = translated.Resources[role ?? '']?.Properties.Policies ?? [];
    return (policies as { PolicyDocument: { Statement: Record<string, Json>[] } }[])
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => text(statement.Action).includes('secretsmanager:'));
  };

  it('rotates SigningKeySecret with the rotation function every SigningKeyRotationDays, the first time on that schedule', () => {
    expect(schedule?.Properties).toEqual({
      SecretId: { Ref: 'SigningKeySecret' },
      RotationLambdaARN: { 'Fn::GetAtt': ['SigningKeyRotationFunction', 'Arn'] },
      RotationRules: { AutomaticallyAfterDays: { Ref: 'SigningKeyRotationDays' } },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it('lets Secrets Manager invoke the function for this account and this secret alone, before rotation is turned on', () => {
    expect(permission?.Properties).toEqual({
      FunctionName: { 'Fn::GetAtt': ['SigningKeyRotationFunction', 'Arn'] },
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { Ref: 'SigningKeySecret' },
    });
    expect([schedule?.DependsOn].flat()).toContain('SigningKeyRotationPermission');
  });

  it('lets the function do to SigningKeySecret what a rotation does, and touch no other secret', () => {
    expect(statementsOf(fn)).toEqual([
      {
        Effect: 'Allow',
        Action: [...ROTATION_OPERATIONS].sort().map((operation) => `secretsmanager:${operation}`),
        Resource: { Ref: 'SigningKeySecret' },
      },
    ]);
  });
});

describe('what the deploy itself refuses', () => {
  const parameters =
    (translated as { Parameters?: Record<string, { AllowedPattern?: string }> }).Parameters ?? {};
  const allows = (name: string, value: string) =>
    new RegExp(parameters[name]?.AllowedPattern ?? '(?!)').test(value);

  it('an EmailFrom that is not one address', () => {
    expect(allows('EmailFrom', 'login@auth.example.com')).toBe(true);
    for (const value of ['auth.example.com', 'a@b@example.com', 'Ada <login@example.com>'])
      expect({ value, allowed: allows('EmailFrom', value) }).toEqual({ value, allowed: false });
  });

  it.each([
    ['MagicLinkRedirectUris', 'https://app.example.com/in?from=mail,http://localhost:5173/', true],
    ['MagicLinkRedirectUris', 'http://127.0.0.1:8080/in', true],
    ['MagicLinkRedirectUris', '', true],
    ['MagicLinkRedirectUris', 'http://app.example.com/in', false],
    ['MagicLinkRedirectUris', 'http://localhost.example.com/in', false],
    ['MagicLinkRedirectUris', 'https://app.example.com/#token', false],
    ['MagicLinkRedirectUris', '/in', false],
    ['MagicLinkBaseUrl', 'https://abc123.execute-api.eu-west-1.amazonaws.com/live', true],
    ['MagicLinkBaseUrl', 'https://a.example.com,https://b.example.com', false],
    ['MagicLinkBaseUrl', 'https://auth.example.com/?stage=live', false],
  ])('a %s of %j (allowed: %s)', (parameter, value, allowed) => {
    expect(allows(parameter, value)).toBe(allowed);
  });

  it.each([
    ['CaptchaSecretName', 'authkit/turnstile'],
    ['ProxySecretName', 'authkit/proxy'],
  ])("a %s given by ARN: the functions' permission is built from the name", (parameter, name) => {
    expect(allows(parameter, name)).toBe(true);
    expect(allows(parameter, '')).toBe(true);
    expect(allows(parameter, `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`)).toBe(
      false,
    );
  });

  it.each([
    ['CaptchaNeedsItsSecret', 'CaptchaProvider', 'none', 'CaptchaSecretName'],
    ['CaptchaNeedsItsHostnames', 'CaptchaProvider', 'none', 'CaptchaHostnames'],
    ['TrustedAsnHeaderNeedsProxySecret', 'TrustedAsnHeader', '', 'ProxySecretName'],
    ['MagicLinksNeedTheirBaseUrl', 'MagicLinkRedirectUris', '', 'MagicLinkBaseUrl'],
  ])('%s: %s set (not %j) without %s', (rule, setting, unset, secret) => {
    const rules = (translated as { Rules?: Record<string, Json> }).Rules ?? {};
    expect(rules[rule]).toEqual({
      RuleCondition: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: setting }, unset] }] },
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: secret }, ''] }] },
          AssertDescription: expect.stringContaining(secret),
        },
      ],
    });
  });

  it('an ID token audience equal to the access token audience', () => {
    const rules = (translated as { Rules?: Record<string, Json> }).Rules ?? {};
    expect(rules.TokenAudiencesDiffer).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'TokenAudience' }, { Ref: 'IdTokenAudience' }] }] },
          AssertDescription: expect.stringContaining('IdTokenAudience must differ from TokenAudience'),
        },
      ],
    });
  });
});

describe('what a stack deletion keeps', () => {
  it.each(['CodePepperSecret', 'SigningKeySecret', 'UsersTable', 'SessionsTable', 'DenylistTable'])(
    '%s is retained, on deletion and on replacement',
    (id) => {
      const resource = translated.Resources[id];
      expect([resource?.DeletionPolicy, resource?.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    },
  );

  it('keeps every secret of the template', () => {
    for (const [, secret] of ofType('AWS::SecretsManager::Secret'))
      expect(secret.DeletionPolicy).toBe('Retain');
  });
});

describe('the delivery feedback CloudFormation creates', () => {
  const rules = ofType('AWS::Events::Rule');
  const queue = 'FeedbackDeadLetterQueue';
  type Target = { Arn: Json; RetryPolicy?: Json; DeadLetterConfig?: { Arn: Json } };
  const targetsOf = (rule: Resource) => rule.Properties.Targets as Target[];
  const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
  const configurationSet = { 'ses:configuration-set': [{ Ref: 'EmailConfigurationSet' }] };

  it.each([
    [
      'EmailFeedbackFunctionBounced',
      'EmailFeedbackFunction',
      {
        source: ['aws.ses'],
        'detail-type': ['Email Bounced'],
        detail: { mail: { tags: configurationSet }, bounce: { bounceType: ['Permanent'] } },
      },
    ],
    [
      'EmailFeedbackFunctionComplained',
      'EmailFeedbackFunction',
      {
        source: ['aws.ses'],
        'detail-type': ['Email Complaint Received'],
        detail: { mail: { tags: configurationSet } },
      },
    ],
    [
      'SmsFeedbackFunctionTextRefused',
      'SmsFeedbackFunction',
      {
        source: ['aws.sms-voice'],
        'detail-type': ['Text Message Delivery Status Updated'],
        detail: {
          eventType: ['TEXT_INVALID', 'TEXT_BLOCKED'],
          isFinal: [true],
          context: { stack: [{ Ref: 'AWS::StackName' }] },
        },
      },
    ],
    [
      'SmsFeedbackFunctionSmsDeliveryFailed',
      'SmsFeedbackFunction',
      {
        source: ['authkit'],
        'detail-type': ['SmsDeliveryFailed'],
        detail: { permanent: [true], stack: [{ Ref: 'AWS::StackName' }] },
      },
    ],
  ])(
    '%s routes only what denylists to %s, retried for a day, then dead-lettered',
    (id, functionId, pattern) => {
      const rule = translated.Resources[id] as Resource;
      expect(rule.Properties.EventPattern).toEqual(pattern);
      // On the default bus: SES and End User Messaging publish nowhere else.
      expect(rule.Properties.EventBusName).toBeUndefined();
      expect(targetsOf(rule)).toEqual([
        expect.objectContaining({
          Arn: getAtt(functionId),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: getAtt(queue) },
        }),
      ]);
      const permissions = ofType('AWS::Lambda::Permission').filter(
        ([, permission]) => JSON.stringify(permission.Properties.SourceArn) === JSON.stringify(getAtt(id)),
      );
      expect(permissions.map(([, permission]) => permission.Properties)).toEqual([
        expect.objectContaining({ Principal: 'events.amazonaws.com', FunctionName: { Ref: functionId } }),
      ]);
    },
  );

  it('dead-letters into one encrypted queue that keeps events 14 days, which the rules, and only they, may send to', () => {
    expect(translated.Resources[queue]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    const dlqRules = rules
      .filter(([, rule]) =>
        targetsOf(rule).some((target) => text(target.DeadLetterConfig?.Arn) === text(getAtt(queue))),
      )
      .map(([id]) => getAtt(id));
    const policies = ofType('AWS::SQS::QueuePolicy').filter(([, policy]) =>
      (policy.Properties.Queues as Json[]).some((ref) => refOf(ref) === queue),
    );
    expect(policies.map(([, policy]) => policy.Properties.PolicyDocument)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt(queue),
            Condition: { ArnEquals: { 'aws:SourceArn': expect.arrayContaining(dlqRules) } },
          },
        ],
      },
    ]);
    // Only they: the condition names no rule that does not dead-letter here.
    const conditions = policies.map(
      ([, policy]) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Condition: { ArnEquals: Record<string, Json[]> } }[];
          }
        ).Statement[0]?.Condition.ArnEquals,
    );
    expect(conditions.map((condition) => condition?.['aws:SourceArn']?.length)).toEqual([dlqRules.length]);
    expect(dlqRules).toHaveLength(4);
  });

  it('raises an alarm as soon as one event waits in the dead-letter queue', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, alarm]) =>
      JSON.stringify(alarm.Properties.Dimensions ?? null).includes(
        JSON.stringify(getAtt(queue, 'QueueName')),
      ),
    );
    expect(alarms.map(([, alarm]) => alarm.Properties)).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it.each(['EmailFeedbackFunction', 'SmsFeedbackFunction'])(
    '%s may put items in the denylist table and dead-letter what it cannot handle, nothing else',
    (id) => {
      const fn = translated.Resources[id] as Resource;
      const role =
        translated.Resources[(fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? ''];
      const statements = (
        (role?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Json[] } }[]
      ).flatMap((policy) => policy.PolicyDocument.Statement);
      expect(statements).toEqual([
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt('FeedbackDeadLetterQueue') },
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: getAtt('DenylistTable') },
      ]);
      // Lambda, not the rule, retries a handler that throws; then the function's own queue takes it.
      expect(fn.Properties.DeadLetterConfig).toEqual({ TargetArn: getAtt('FeedbackDeadLetterQueue') });
    },
  );

  it("sends the configuration set's bounces and complaints to the default bus, where the rules listen", () => {
    const destination = translated.Resources.EmailFeedbackDestination?.Properties.EventDestination as {
      Enabled: boolean;
      MatchingEventTypes: string[];
      EventBridgeDestination: { EventBusArn: Json };
    };
    expect(destination.Enabled).toBe(true);
    expect(destination.MatchingEventTypes).toEqual(expect.arrayContaining(['bounce', 'complaint']));
    expect(JSON.stringify(destination.EventBridgeDestination.EventBusArn)).toContain(':event-bus/default');
  });
});

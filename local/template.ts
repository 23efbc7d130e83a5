/**
 * Reads template.yaml the way the local runtime needs it: functions with their entry points and
 * routes, the state machines, the tables, and intrinsic functions resolved to local values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** The ARN a Secrets Manager secret of this name has locally (`Ref` of a secret is its ARN). */
export const secretArn = (name: string): string =>
  `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resource = { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> };
type Template = {
  Parameters?: Record<string, Record<string, Json>>;
  Conditions?: Record<string, Json>;
  Globals?: { Function?: Record<string, Json>; Api?: Record<string, Json> };
  Resources: Record<string, Resource>;
};

export type Route = {
  method: string;
  path: string;
  functionId: string;
  /** The AWS::Serverless::Api the route belongs to (its RestApiId). */
  apiId: string;
  /** The Lambda authorizer API Gateway runs before the function (the event's `Auth.Authorizer`). */
  authorizer?: LocalAuthorizer | undefined;
};
/** A TOKEN Lambda authorizer of an API's `Auth.Authorizers`. */
export type LocalAuthorizer = {
  name: string;
  functionId: string;
  /** The request header whose value is the authorizer's `authorizationToken`. */
  header: string;
  /** A value that does not match is refused (401) without invoking the function. */
  validationExpression: RegExp | undefined;
};
/**
 * One of an API's GatewayResponses as template.yaml declares it: header values are API Gateway
 * mapping expressions (`'literal'`, `context.requestId`), the body a mapping template.
 */
export type LocalGatewayResponse = {
  statusCode: number | undefined;
  headers: Record<string, string>;
  template: string | undefined;
};
export type LocalFunction = {
  id: string;
  /** As in template.yaml: `<module path relative to CodeUri>.<export>`. */
  handler: string;
  entryPoint: string;
  exportName: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** The variables template.yaml gives this function (Globals and its own), resolved. */
  environment: Record<string, string>;
};
/** A function's SAM `Events` entry of `Type: EventBridgeRule`, as the local bus routes it. */
export type LocalEventRule = {
  /** `<FunctionId><EventName>`, the logical id SAM gives the AWS::Events::Rule it generates. */
  id: string;
  arn: string;
  functionId: string;
  pattern: Record<string, unknown>;
  /** EventBridge's defaults when the rule sets none: 185 attempts within 24 hours. */
  retryPolicy: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
  deadLetterArn?: string | undefined;
};
/**
 * What Lambda does with a failed asynchronous invocation (EventBridge invokes asynchronously): its
 * own retries (EventInvokeConfig, 2 by default), then the function's on-failure destination or
 * DeadLetterQueue, when it has one.
 */
export type LocalAsyncConfig = {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  onFailure?: { kind: 'destination' | 'dead-letter-queue'; arn: string } | undefined;
};
export type LocalStateMachine = {
  id: string;
  arn: string;
  definition: Record<string, unknown>;
  taskFunctions: Record<string, string>;
};

// CloudFormation's short-form tags, turned into their long form.
const FN_TAGS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'And',
  'Equals',
  'Not',
  'Or',
];
const customTags: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  { tag: '!GetAtt', collection: 'seq', resolve: (seq) => ({ 'Fn::GetAtt': seq.toJSON() }) },
  ...FN_TAGS.flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => ({ [`Fn::${name}`]: value }) },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (seq: { toJSON(): unknown }) => ({ [`Fn::${name}`]: seq.toJSON() }),
    },
  ]),
] as Tags;

export class LocalTemplate {
  readonly root: string;
  readonly #template: Template;
  readonly #parameters: Record<string, string>;

  /**
   * `overlay`: a YAML file whose Resources (and Parameters) are added to template.yaml's, so tests
   * can route events to fixture functions without editing the product's template.
   */
  constructor(root: string, options: { parameters?: Record<string, string>; overlay?: string } = {}) {
    this.root = root;
    this.#template = parse(readFileSync(join(root, 'template.yaml'), 'utf8'), { customTags }) as Template;
    if (options.overlay) {
      const extra = parse(readFileSync(options.overlay, 'utf8'), { customTags }) as Partial<Template>;
      Object.assign(this.#template.Resources, extra.Resources);
      this.#template.Parameters = { ...this.#template.Parameters, ...extra.Parameters };
    }
    this.#parameters = {};
    for (const [name, parameter] of Object.entries(this.#template.Parameters ?? {})) {
      this.#parameters[name] = options.parameters?.[name] ?? String(parameter.Default ?? '');
    }
    for (const name of Object.keys(options.parameters ?? {})) {
      if (!(name in this.#parameters)) throw new Error(`template.yaml has no parameter named ${name}`);
    }
  }

  /** The Parameters as template.yaml declares them: Type, Default, bounds, Description. */
  declaredParameters(): Record<string, Record<string, Json>> {
    return this.#template.Parameters ?? {};
  }

  resourcesOfType(type: string): [string, Resource][] {
    return Object.entries(this.#template.Resources).filter(([, resource]) => resource.Type === type);
  }

  functionGlobals(): Record<string, Json> {
    return this.#template.Globals?.Function ?? {};
  }

  apiGlobals(): Record<string, Json> {
    return this.#template.Globals?.Api ?? {};
  }

  functions(): LocalFunction[] {
    const globals = this.functionGlobals();
    return this.resourcesOfType('AWS::Serverless::Function').map(([id, resource]) => {
      const props = resource.Properties ?? {};
      // Handler `api/start.handler` with CodeUri `functions/`: the module is functions/api/start.ts,
      // which functions/Makefile bundles to api/start.mjs, the file Lambda loads.
      const handler = String(props.Handler);
      const codeUri = String(props.CodeUri ?? globals.CodeUri ?? '');
      return {
        id,
        handler,
        entryPoint: join(this.root, codeUri, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`),
        exportName: handler.slice(handler.lastIndexOf('.') + 1),
        timeoutSeconds: Number(props.Timeout ?? globals.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? globals.MemorySize ?? 128),
        environment: this.#environmentOf(resource),
      };
    });
  }

  routes(): Route[] {
    return this.resourcesOfType('AWS::Serverless::Function').flatMap(([id, resource]) =>
      Object.entries(
        (resource.Properties?.Events ?? {}) as Record<
          string,
          { Type: string; Properties: Record<string, Json> }
        >,
      )
        .filter(([, event]) => event.Type === 'Api')
        .map(([name, event]) => {
          const apiId = String(refOf(event.Properties.RestApiId) ?? 'ServerlessRestApi');
          return {
            method: String(event.Properties.Method ?? 'ANY').toUpperCase(),
            path: String(event.Properties.Path ?? '/'),
            functionId: id,
            apiId,
            authorizer: this.#authorizerOf(`${id}.${name}`, apiId, event.Properties.Auth),
          };
        }),
    );
  }

  /** The API's GatewayResponses, by response type (UNAUTHORIZED, DEFAULT_4XX…). */
  gatewayResponses(apiId: string): Record<string, LocalGatewayResponse> {
    const declared = (this.#template.Resources[apiId]?.Properties?.GatewayResponses ?? {}) as Record<
      string,
      Record<string, Json>
    >;
    return Object.fromEntries(
      Object.entries(declared).map(([type, response]) => {
        const parameters = (response.ResponseParameters ?? {}) as { Headers?: Record<string, string> };
        const templates = (response.ResponseTemplates ?? {}) as Record<string, string>;
        return [
          type,
          {
            statusCode: response.StatusCode === undefined ? undefined : Number(response.StatusCode),
            headers: { ...parameters.Headers },
            template: templates['application/json'],
          },
        ];
      }),
    );
  }

  /** The event's `Auth.Authorizer`, else the API's DefaultAuthorizer; `NONE` opts out. */
  #authorizerOf(event: string, apiId: string, auth: Json | undefined): LocalAuthorizer | undefined {
    const apiAuth = (this.#template.Resources[apiId]?.Properties?.Auth ?? {}) as {
      DefaultAuthorizer?: string;
      Authorizers?: Record<string, Record<string, Json>>;
    };
    const name = (auth as { Authorizer?: string } | undefined)?.Authorizer ?? apiAuth.DefaultAuthorizer;
    if (name === undefined || name === 'NONE') return undefined;
    const declared = apiAuth.Authorizers?.[name];
    if (!declared) throw new Error(`${event}: ${apiId} has no authorizer named ${name}`);
    const functionId = functionIdOf(declared.FunctionArn as Json);
    if (declared.FunctionPayloadType !== 'TOKEN' || !functionId) {
      throw new Error(
        `${event}: only TOKEN Lambda authorizers (FunctionArn: !GetAtt X.Arn) are served locally`,
      );
    }
    const identity = (declared.Identity ?? {}) as { Header?: string; ValidationExpression?: string };
    return {
      name,
      functionId,
      header: identity.Header ?? 'Authorization',
      validationExpression:
        identity.ValidationExpression === undefined ? undefined : new RegExp(identity.ValidationExpression),
    };
  }

  /** Every function's SAM `Events` of `Type: EventBridgeRule` on the default bus. */
  eventRules(): LocalEventRule[] {
    return this.resourcesOfType('AWS::Serverless::Function').flatMap(([functionId, resource]) =>
      Object.entries(
        (resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties?: Json }>,
      )
        .filter(([, event]) => event.Type === 'EventBridgeRule')
        .map(([name, event]) => {
          const props = (this.resolve(event.Properties ?? {}) ?? {}) as Record<string, Json>;
          const bus = props.EventBusName;
          if (bus !== undefined && bus !== 'default')
            throw new Error(`${functionId}.${name}: only the default event bus is served locally`);
          const retry = (props.RetryPolicy ?? {}) as Record<string, Json>;
          const id = `${functionId}${name}`;
          return {
            id,
            arn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${id}`,
            functionId,
            pattern: props.Pattern as Record<string, unknown>,
            retryPolicy: {
              maximumRetryAttempts: Number(retry.MaximumRetryAttempts ?? 185),
              maximumEventAgeInSeconds: Number(retry.MaximumEventAgeInSeconds ?? 86400),
            },
            deadLetterArn: (props.DeadLetterConfig as { Arn?: string } | undefined)?.Arn,
          };
        }),
    );
  }

  /** The function's asynchronous-invocation settings: EventInvokeConfig, else DeadLetterQueue. */
  asyncConfig(functionId: string): LocalAsyncConfig {
    const props = this.#template.Resources[functionId]?.Properties ?? {};
    const globals = this.functionGlobals();
    const config = (this.resolve(props.EventInvokeConfig ?? globals.EventInvokeConfig ?? {}) ?? {}) as Record<
      string,
      Json
    >;
    const destination = (config.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure;
    const deadLetterQueue = this.resolve(props.DeadLetterQueue ?? globals.DeadLetterQueue ?? null) as {
      TargetArn?: string;
    } | null;
    return {
      maximumRetryAttempts: Number(config.MaximumRetryAttempts ?? 2),
      maximumEventAgeInSeconds: Number(config.MaximumEventAgeInSeconds ?? 21600),
      onFailure: destination?.Destination
        ? { kind: 'destination', arn: destination.Destination }
        : deadLetterQueue?.TargetArn
          ? { kind: 'dead-letter-queue', arn: deadLetterQueue.TargetArn }
          : undefined,
    };
  }

  /**
   * SES configuration sets whose event destination is EventBridge, by name, with the event types
   * (lower case, as CloudFormation spells them: bounce, complaint, delivery, send…) each publishes.
   */
  sesEventBridgeDestinations(): Map<string, Set<string>> {
    const destinations = new Map<string, Set<string>>();
    for (const [, resource] of this.resourcesOfType('AWS::SES::ConfigurationSetEventDestination')) {
      const props = (resource.Properties ?? {}) as Record<string, Json>;
      const destination = (props.EventDestination ?? {}) as Record<string, Json>;
      if (!destination.EventBridgeDestination || destination.Enabled === false) continue;
      const name = String(this.resolve(props.ConfigurationSetName as Json));
      const types = destinations.get(name) ?? new Set<string>();
      for (const type of (destination.MatchingEventTypes ?? []) as string[]) types.add(type.toLowerCase());
      destinations.set(name, types);
    }
    return destinations;
  }

  /** The variables every function has (Globals'), resolved: what one local process may share. */
  sharedEnvironment(): Record<string, string> {
    return this.#resolved(this.#variables(this.#template.Globals?.Function));
  }

  tables(): { id: string; name: string; properties: Record<string, Json> }[] {
    return this.resourcesOfType('AWS::DynamoDB::Table').map(([id, resource]) => ({
      id,
      name: String(this.resolve({ Ref: id })),
      properties: resource.Properties ?? {},
    }));
  }

  stateMachines(): LocalStateMachine[] {
    return this.resourcesOfType('AWS::Serverless::StateMachine').map(([id, resource]) => {
      const props = resource.Properties ?? {};
      let text = readFileSync(join(this.root, String(props.DefinitionUri)), 'utf8');
      const taskFunctions: Record<string, string> = {};
      for (const [key, value] of Object.entries(
        (props.DefinitionSubstitutions ?? {}) as Record<string, Json>,
      )) {
        const resolved = String(this.resolve(value));
        text = text.replaceAll(`\${${key}}`, resolved);
        const functionId = functionIdOf(value);
        if (functionId) taskFunctions[resolved] = functionId;
      }
      return { id, arn: String(this.resolve({ Ref: id })), definition: JSON.parse(text), taskFunctions };
    });
  }

  #environmentOf(resource: Resource): Record<string, string> {
    return this.#resolved({
      ...this.#variables(this.#template.Globals?.Function),
      ...this.#variables(resource.Properties),
    });
  }

  #resolved(variables: Record<string, Json>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, String(this.resolve(value))]),
    );
  }

  #variables(props: Record<string, Json> | undefined): Record<string, Json> {
    return ((props?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ??
      {}) as Record<string, Json>;
  }

  /** Intrinsic functions, evaluated against local stand-ins for AWS resources. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const [key, arg] = Object.entries(value)[0] ?? [];
    switch (key) {
      case 'Ref':
        return this.#ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = arg as string[];
        return this.#attribute(String(id), String(attribute));
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg)
          ? [String(arg[0]), (arg[1] ?? {}) as Record<string, Json>]
          : [String(arg), {}];
        const substituted = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in vars) return String(this.resolve(vars[name] as Json));
          const [id, attribute] = name.split('.');
          return String(attribute ? this.#attribute(String(id), attribute) : this.#ref(name));
        });
        return substituted;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, Json, Json];
        return this.resolve(this.#condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Join': {
        const [separator, items] = arg as [string, Json[]];
        return (this.resolve(items) as Json[]).join(separator);
      }
      default:
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    }
  }

  #condition(name: string): boolean {
    const evaluate = (expression: Json): boolean => {
      const [key, arg] = Object.entries(expression as Record<string, Json>)[0] ?? [];
      switch (key) {
        case 'Fn::Equals': {
          const [a, b] = this.resolve(arg as Json) as Json[];
          return String(a) === String(b);
        }
        case 'Fn::Not':
          return !evaluate((arg as Json[])[0] as Json);
        case 'Fn::And':
          return (arg as Json[]).every(evaluate);
        case 'Fn::Or':
          return (arg as Json[]).some(evaluate);
        case 'Condition':
          return this.#condition(String(arg));
        default:
          throw new Error(`Unsupported condition ${key}`);
      }
    };
    const expression = this.#template.Conditions?.[name];
    if (!expression) throw new Error(`template.yaml has no condition named ${name}`);
    return evaluate(expression);
  }

  #ref(name: string): Json {
    const pseudo: Record<string, string> = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'authkit-local',
    };
    if (name in pseudo) return pseudo[name] as string;
    if (name in this.#parameters) return this.#parameters[name] as string;
    const resource = this.#template.Resources[name];
    if (!resource) throw new Error(`template.yaml refers to unknown ${name}`);
    if (resource.Type === 'AWS::Serverless::StateMachine') return this.#attribute(name, 'Arn');
    if (resource.Type === 'AWS::SecretsManager::Secret') return secretArn(name);
    return name;
  }

  #attribute(id: string, attribute: string): Json {
    const resource = this.#template.Resources[id];
    if (!resource) throw new Error(`template.yaml refers to unknown ${id}`);
    if (attribute !== 'Arn') return `${id}.${attribute}`;
    const service: Record<string, string> = {
      'AWS::Serverless::Function': `lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${id}`,
      'AWS::Serverless::StateMachine': `states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${id}`,
      'AWS::DynamoDB::Table': `dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${id}`,
      'AWS::Logs::LogGroup': `logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${id}`,
      'AWS::SQS::Queue': `sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`,
    };
    return `arn:aws:${service[resource.Type] ?? `local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`}`;
  }
}

function refOf(value: Json | undefined): string | undefined {
  return (value as { Ref?: string } | null | undefined)?.Ref;
}

function functionIdOf(value: Json): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: string[] } | null)?.['Fn::GetAtt'];
  return getAtt?.[1] === 'Arn' ? getAtt[0] : undefined;
}

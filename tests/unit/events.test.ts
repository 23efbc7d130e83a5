/**
 * events/ holds a sample event for every function of template.yaml (`sam local invoke <Id> -e ...`).
 * These specs keep the folder honest: every file parses, every function has an event of its kind,
 * and no event points at a route or step that no longer exists.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { chooseChannel, normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

const EVENTS_DIR = join(REPO_ROOT, 'events');

type ApiEvent = {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  body: string | null;
  pathParameters: Record<string, string> | null;
  isBase64Encoded: boolean;
  requestContext: {
    requestId: string;
    resourcePath: string;
    httpMethod: string;
    stage: string;
    accountId: string;
    apiId: string;
    identity: { sourceIp: string };
  };
};

type EventFile = { file: string; json: unknown; error?: string };

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsonFiles(path);
    return entry.name.endsWith('.json') ? [path] : [];
  });
}

/** A file that does not parse is kept with its error, so one bad file fails one spec, not the suite. */
function readEvents(): EventFile[] {
  return jsonFiles(EVENTS_DIR).map((path) => {
    const file = relative(EVENTS_DIR, path);
    try {
      return { file, json: JSON.parse(readFileSync(path, 'utf8')) as unknown };
    } catch (error) {
      return { file, json: undefined, error: (error as Error).message };
    }
  });
}

type BusEvent = { source: string; 'detail-type': string; detail: Record<string, unknown> };
type RulePattern = { source?: string[]; 'detail-type'?: string[] };

/** An EventBridge event as a rule's target receives it. */
function isBusEvent(json: unknown): json is BusEvent {
  const event = json as Record<string, unknown> | null;
  return (
    ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'].every(
      (field) => typeof event?.[field] === 'string',
    ) &&
    Array.isArray(event?.resources) &&
    typeof event?.detail === 'object'
  );
}

/** The EventBridgeRule events of a function in template.yaml, by name. */
function rulesOf(id: string): [string, RulePattern][] {
  const [, resource] = template.resourcesOfType('AWS::Serverless::Function').find(([fn]) => fn === id) ?? [];
  const events = (resource?.Properties?.Events ?? {}) as Record<
    string,
    { Type: string; Properties: { Pattern: RulePattern } }
  >;
  return Object.entries(events)
    .filter(([, event]) => event.Type === 'EventBridgeRule')
    .map(([name, event]) => [name, event.Properties.Pattern]);
}

function isApiEvent(json: unknown): json is ApiEvent {
  const event = json as Partial<ApiEvent> | null;
  return typeof event?.resource === 'string' && typeof event.httpMethod === 'string';
}

function isWorkflowInput(
  json: unknown,
): json is { challengeId: string; identifier: string; channel: string } {
  const input = json as Record<string, unknown> | null;
  return (
    input !== null &&
    typeof input === 'object' &&
    !Array.isArray(input) &&
    typeof input.challengeId === 'string' &&
    typeof input.identifier === 'string' &&
    typeof input.channel === 'string'
  );
}

/** `functions/steps/send.ts` → `steps/send`: event files are named after the function's entry point. */
function eventStem(entryPoint: string): string {
  const path = relative(join(REPO_ROOT, 'functions'), entryPoint);
  return join(dirname(path), basename(path, '.ts'));
}

function belongsTo(event: EventFile, stem: string): boolean {
  const name = event.file.replace(/\.json$/, '');
  return name === stem || name.startsWith(`${stem}-`);
}

const template = new LocalTemplate(REPO_ROOT);
const functions = template.functions();
const routes = template.routes();
const taskFunctionIds = new Set(template.stateMachines().flatMap((sm) => Object.values(sm.taskFunctions)));
/** Lambda authorizers of the API: API Gateway invokes them with a TOKEN event before a protected route. */
const authorizerIds = new Set(
  routes.flatMap((route) => (route.authorizer ? [route.authorizer.functionId] : [])),
);
/** Functions with no event source at all: only the Lambda Invoke API calls them (the admin function). */
const invokedDirectly = new Set(
  template
    .resourcesOfType('AWS::Serverless::Function')
    .filter(([, resource]) => !(resource.Properties as { Events?: unknown } | undefined)?.Events)
    .filter(([id]) => !authorizerIds.has(id))
    .map(([id]) => id),
);
const events = readEvents();

describe('events/', () => {
  it('holds only JSON files that parse', () => {
    // Prepare
    const all = readdirSync(EVENTS_DIR, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());

    // Assess
    expect(all.map((e) => e.name).filter((name) => !name.endsWith('.json'))).toEqual([]);
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.error !== undefined).map((e) => `${e.file}: ${e.error}`)).toEqual([]);
    for (const event of events) expect(event.json).toBeInstanceOf(Object);
  });

  describe.each(functions.map((fn) => [fn.id, fn] as const))('%s', (id, fn) => {
    const own = routes.filter((route) => route.functionId === id);

    if (own.length > 0) {
      it.each(own.map((route) => [`${route.method} ${route.path}`, route] as const))(
        'has an API Gateway event for %s',
        (_, route) => {
          // Act
          const matching = events.filter(
            (event) =>
              isApiEvent(event.json) &&
              event.json.resource === route.path &&
              event.json.httpMethod === route.method,
          );

          // Assess
          expect(matching.map((event) => event.file)).not.toEqual([]);
        },
      );
    } else if (taskFunctionIds.has(id)) {
      it(`has a workflow input under events/${eventStem(fn.entryPoint)}*.json`, () => {
        // Act
        const matching = events.filter(
          (event) => belongsTo(event, eventStem(fn.entryPoint)) && isWorkflowInput(event.json),
        );

        // Assess
        expect(matching.map((event) => event.file)).not.toEqual([]);
      });
    } else if (rulesOf(id).length > 0) {
      it.each(rulesOf(id))(
        'has an EventBridge event under events/feedback/ for its rule %s',
        (_, pattern) => {
          // Act
          const matching = events.filter(
            (event) =>
              event.file.startsWith('feedback/') &&
              isBusEvent(event.json) &&
              (pattern.source ?? []).includes(event.json.source) &&
              (pattern['detail-type'] ?? []).includes(event.json['detail-type']),
          );

          // Assess
          expect(matching.map((event) => event.file)).not.toEqual([]);
        },
      );
    } else if (authorizerIds.has(id)) {
      it(`has a TOKEN authorizer event for a route it protects under events/${eventStem(fn.entryPoint)}*.json`, () => {
        // Act
        const matching = events.filter((event) => {
          const json = event.json as { type?: unknown; authorizationToken?: unknown; methodArn?: unknown };
          const arn = /^arn:aws:execute-api:[\w-]+:\d{12}:\w+\/live\/([A-Z]+)(\/.*)$/.exec(
            String(json.methodArn),
          );
          return (
            belongsTo(event, eventStem(fn.entryPoint)) &&
            json.type === 'TOKEN' &&
            typeof json.authorizationToken === 'string' &&
            routes.some(
              (route) =>
                route.authorizer?.functionId === id && route.method === arn?.[1] && route.path === arn[2],
            )
          );
        });

        // Assess
        expect(matching.map((event) => event.file)).not.toEqual([]);
      });
    } else if (invokedDirectly.has(id)) {
      it(`has a command under events/${eventStem(fn.entryPoint)}*.json`, () => {
        // Act
        const matching = events.filter(
          (event) =>
            belongsTo(event, eventStem(fn.entryPoint)) &&
            typeof (event.json as { command?: unknown } | null)?.command === 'string',
        );

        // Assess
        expect(matching.map((event) => event.file)).not.toEqual([]);
      });
    } else {
      it('is of a kind these specs know (an API route, a workflow task, an EventBridge target or a direct invocation)', () => {
        throw new Error(
          `${id} is neither an API function, a workflow task, an EventBridge target nor invoked directly: teach events.test.ts its kind`,
        );
      });
    }
  });

  describe.each(
    events.filter((event) => isApiEvent(event.json)).map((event) => [event.file, event] as const),
  )('API event %s', (file, event) => {
    const json = event.json as ApiEvent;

    it('is a REST (v1) proxy event for a route of template.yaml', () => {
      // Act
      const route = routes.find((r) => r.path === json.resource && r.method === json.httpMethod);

      // Assess
      expect(route).toBeDefined();
      expect(file.startsWith('api/')).toBe(true);
      const templated = [...json.resource.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
      const params = json.pathParameters ?? {};
      expect(Object.keys(params)).toEqual(templated);
      expect(json).toMatchObject({
        path: json.resource.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? ''),
        queryStringParameters: null,
        pathParameters: templated.length ? params : null,
        isBase64Encoded: false,
        requestContext: {
          resourcePath: json.resource,
          httpMethod: json.httpMethod,
          stage: 'live',
          accountId: '123456789012',
        },
      });
      expect(json.requestContext.requestId).toEqual(expect.any(String));
      expect(json.requestContext.apiId).toEqual(expect.any(String));
      expect(json.requestContext.identity.sourceIp).toMatch(/^203\.0\.113\.\d{1,3}$/);
    });

    it('keeps headers and multiValueHeaders in step', () => {
      // Assess
      expect(Object.keys(json.multiValueHeaders)).toEqual(Object.keys(json.headers));
      for (const [name, value] of Object.entries(json.headers)) {
        expect(json.multiValueHeaders[name]).toEqual([value]);
      }
    });

    it('carries a JSON object body with Content-Type: application/json when it is a POST', () => {
      if (json.httpMethod !== 'POST') {
        expect(json.body).toBeNull();
        return;
      }
      // Assess
      expect(json.headers['Content-Type']).toBe('application/json');
      expect(JSON.parse(json.body ?? 'null')).toBeInstanceOf(Object);
    });
  });

  it.each(
    events.filter((event) => event.file.startsWith('feedback/')).map((event) => [event.file, event] as const),
  )('feedback event %s is an EventBridge event as a target receives it', (_, event) => {
    // Assess
    expect(isBusEvent(event.json)).toBe(true);
  });

  describe.each(
    events.filter((event) => event.file.startsWith('steps/')).map((event) => [event.file, event] as const),
  )('workflow input %s', (file, event) => {
    it('names a workflow task of template.yaml', () => {
      // Act
      const owner = functions.find(
        (fn) => taskFunctionIds.has(fn.id) && belongsTo({ file, json: null }, eventStem(fn.entryPoint)),
      );

      // Assess
      expect(owner?.id).toEqual(expect.any(String));
    });

    it('is what the start function builds: a normalised identifier and its channel', () => {
      // Prepare
      expect(isWorkflowInput(event.json)).toBe(true);
      const input = event.json as { challengeId: string; identifier: string; channel: string };

      // Act
      const identifier = normalizeIdentifier(input.identifier);

      // Assess
      expect(input.challengeId).toMatch(/^ch_[A-Za-z0-9_-]+$/);
      expect(identifier.value).toBe(input.identifier);
      expect(chooseChannel(identifier, input.channel as never)).toBe(input.channel);
    });
  });
});

/**
 * template.yaml deployed: the SAM transform (sam_translate.py), then CreateStack against moto, a local
 * AWS, on 127.0.0.1 with no account (moto_deploy.py). Where cfn-lint reads the template, this creates
 * it: every reference resolved, every resource made in order, the API's Deployment refused if the API
 * has no methods, as CloudFormation refuses it. moto's gaps are made up for in moto_deploy.py, each
 * named there, without taking any resource out of the stack.
 *
 * AUTHKIT_MOTO_TEMPLATE names another template to deploy (to see this suite fail on a broken one).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requirePythonModules } from '../support/python.ts';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEMPLATE = process.env.AUTHKIT_MOTO_TEMPLATE ?? join(REPO_ROOT, 'template.yaml');

type Translated = {
  Parameters: Record<string, { Default?: string | number }>;
  Resources: Record<string, { Type: string; Properties?: { Body?: { paths?: Record<string, object> } } }>;
};
type Deployed = {
  status: string;
  reason: string;
  failed: { logicalId: string; type: string; reason: string }[];
  resources: Record<string, string>;
  restApis?: Record<string, { routes: string[]; stages: Record<string, string>; deployments: string[] }>;
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** "METHOD /path" for every operation of an OpenAPI body (x-amazon-apigateway-any-method is ANY). */
const routesOf = (body: { paths?: Record<string, object> } | undefined) =>
  Object.entries(body?.paths ?? {})
    .flatMap(([path, operations]) =>
      Object.keys(operations)
        .map((key) => (key === 'x-amazon-apigateway-any-method' ? 'any' : key))
        .filter((key) => key === 'any' || HTTP_METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();

requirePythonModules(['samtranslator', 'boto3', 'moto.server']);

let workDir: string;
let translated: Translated;
let deployed: Deployed;

beforeAll(async () => {
  // Prepare: the template as CloudFormation receives it, after the SAM transform.
  workDir = mkdtempSync(join(tmpdir(), 'authkit-moto-'));
  const translation = await run('python3', [join(REPO_ROOT, 'tests/deploy/sam_translate.py'), TEMPLATE], {
    maxBuffer: 16 << 20,
  });
  translated = JSON.parse(translation.stdout) as Translated;
  const translatedFile = join(workDir, 'translated.json');
  writeFileSync(translatedFile, translation.stdout);

  // Act: CreateStack in moto, until a final status (the harness stops itself after 90 s).
  const deploy = await run('python3', [join(REPO_ROOT, 'tests/deploy/moto_deploy.py'), translatedFile], {
    maxBuffer: 16 << 20,
    timeout: 110_000,
  });
  deployed = JSON.parse(deploy.stdout) as Deployed;
}, 120_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('CloudFormation creates the stack of template.yaml', () => {
  it('reaches CREATE_COMPLETE, with no resource failed', () => {
    // Assess
    expect({ status: deployed.status, reason: deployed.reason, failed: deployed.failed }).toEqual({
      status: 'CREATE_COMPLETE',
      reason: '',
      failed: [],
    });
  });

  it('creates every resource of the translated template', () => {
    // Prepare
    const expected = Object.fromEntries(
      Object.entries(translated.Resources).map(([id, resource]) => [id, resource.Type]),
    );
    // Assess
    expect(deployed.resources).toEqual(expected);
  });
});

describe('the REST API is created with its routes and deployed to its stage', () => {
  const restApis = () =>
    Object.entries(translated.Resources).filter(
      ([, resource]) => resource.Type === 'AWS::ApiGateway::RestApi',
    );

  it('has every route (method and path) of its OpenAPI body, and no other', () => {
    expect(restApis()).not.toHaveLength(0);
    for (const [id, api] of restApis()) {
      // Prepare
      const expected = routesOf(api.Properties?.Body);
      // Assess: an API with no routes serves nothing (and its Deployment fails), whatever moto says.
      expect({ id, routesInBody: expected.length > 0 }).toEqual({ id, routesInBody: true });
      expect({ id, routes: deployed.restApis?.[id]?.routes }).toEqual({ id, routes: expected });
    }
  });

  it('has a deployment on the stage named by the StageName default', () => {
    // Prepare
    const stageName = String(translated.Parameters.StageName?.Default);
    // Assess
    for (const [id] of restApis()) {
      const api = deployed.restApis?.[id];
      const deploymentId = api?.stages[stageName];
      expect({
        id,
        stageName,
        deployed: deploymentId !== undefined && api?.deployments.includes(deploymentId),
      }).toEqual({ id, stageName, deployed: true });
    }
  });
});

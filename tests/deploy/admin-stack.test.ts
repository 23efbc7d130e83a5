/**
 * `npm run admin -- --stack NAME` finds the stack's AdminFunction through CloudFormation
 * (DescribeStackResource) and invokes it with the caller's credentials. Against moto's server: its
 * CloudFormation creates a stack holding an AdminFunction and answers DescribeStackResource; its
 * Lambda runs functions only in Docker, which these specs do not have, so the invocation itself is
 * covered locally (tests/e2e/admin.test.ts), and here the name the command resolves is checked.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requirePythonModules } from '../support/python.ts';

requirePythonModules(['moto.server']);

const STACK = 'authkit-admin-spec';
let moto: ChildProcess;
let endpoint: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** The smallest stack with an AdminFunction: a role, and inline code moto only stores. */
const TEMPLATE = {
  Resources: {
    AdminRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
      },
    },
    AdminFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': ['AdminRole', 'Arn'] },
        Code: { ZipFile: 'exports.handler = async () => ({});' },
      },
    },
  },
};

const AWS_ENV = () => ({
  PATH: process.env.PATH,
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});

const admin = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['scripts/admin.ts', ...args], {
      env: AWS_ENV(),
    });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout.trim(), stderr: failed.stderr.trim() };
  }
};

beforeAll(async () => {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let tries = 0; ; tries++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch (error) {
      if (tries > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const cloudFormation = new CloudFormationClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: JSON.stringify(TEMPLATE),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  cloudFormation.destroy();
}, 30_000);

afterAll(async () => {
  if (!moto || moto.exitCode !== null) return;
  const exited = new Promise((resolve) => moto.once('exit', resolve));
  moto.kill();
  await exited;
});

describe('npm run admin -- --stack', () => {
  it("invokes the stack's AdminFunction by the physical name CloudFormation gives it", async () => {
    // Act
    const result = await admin('denylist', 'list', '--stack', STACK);

    // Assess: moto found the function by that name and tried to run it, which needs Docker
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^stack ${STACK}: the admin function failed: error running`));
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('names a stack that does not exist, in one line, exit 1', async () => {
    // Act
    const result = await admin('denylist', 'list', '--stack', 'no-such-stack');

    // Assess
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^stack no-such-stack: .*does not exist/);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });
});

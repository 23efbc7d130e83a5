/**
 * What the SMS senders may do on AWS, read from template.yaml as CloudFormation receives it (after
 * the SAM transform): the send step publishes SmsDeliveryFailed (and verify NewDeviceSignIn) to the
 * default bus and no other,
 * and End User Messaging's SendTextMessage is granted only when it is the chosen provider, through
 * the stack's own configuration set. The local runtime checks none of this: it holds no IAM.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${…} here are CloudFormation's Fn::Sub.
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../local/runtime.ts';
import { samTranslated } from '../support/python.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Statement = { Effect: string; Action: string | string[]; Resource?: Json };
type Resource = { Type: string; Condition?: string; Properties: Record<string, Json> };

const translated = samTranslated<{ Resources: Record<string, Resource>; Conditions: Record<string, Json> }>(
  REPO_ROOT,
);
const resources = translated.Resources;

const actionsOf = (statement: Statement) => [statement.Action].flat();

/** The inline statements of a function's role. */
function roleStatements(functionId: string): { statement: Statement }[] {
  const role = resources[functionId]?.Properties.Role as { 'Fn::GetAtt': string[] };
  type Policy = { PolicyDocument?: { Statement: Statement[] }; 'Fn::If'?: Policy[] };
  const policies = (resources[role['Fn::GetAtt'][0] ?? '']?.Properties.Policies ?? []) as Policy[];
  // A policy under a condition counts as granted (either branch; AWS::NoValue has no document).
  return policies
    .flatMap((policy) => policy['Fn::If']?.slice(1) ?? [policy])
    .flatMap((policy) => policy.PolicyDocument?.Statement.map((statement) => ({ statement })) ?? []);
}

/** SendMessagesPolicy's statements, an `Fn::If` one unwrapped to its true branch with its condition. */
function sendMessagesStatements(): { statement: Statement; condition?: string }[] {
  const document = resources.SendMessagesPolicy?.Properties.PolicyDocument as { Statement: Json[] };
  return document.Statement.map((entry) => {
    const conditional = (entry as { 'Fn::If'?: [string, Statement, Json] })['Fn::If'];
    return conditional
      ? { statement: conditional[1], condition: conditional[0] }
      : { statement: entry as unknown as Statement };
  });
}

const putsEvents = (functionId: string) =>
  roleStatements(functionId).filter(({ statement }) => actionsOf(statement).includes('events:PutEvents'));

describe('AuthKit events', () => {
  // The send step publishes SmsDeliveryFailed and SmsPumpingSuspected; both verifies (a code's, a
  // magic link's) NewDeviceSignIn.
  it.each(['SendChallengeFunction', 'VerifyFunction', 'MagicLinkVerifyFunction'])(
    '%s may put events on the default bus only',
    (id) => {
      // Act
      const puts = putsEvents(id);

      // Assess
      expect(puts.map(({ statement }) => statement.Resource)).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
      ]);
    },
  );

  it('are put by those functions alone', () => {
    // Act
    const functions = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => putsEvents(id).length > 0);

    // Assess
    expect(functions.sort()).toEqual(['MagicLinkVerifyFunction', 'SendChallengeFunction', 'VerifyFunction']);
  });
});

describe('SendChallengeFunction', () => {
  it('sends messages under SendMessagesPolicy', () => {
    expect(resources.SendChallengeFunctionRole?.Properties.ManagedPolicyArns).toContainEqual({
      Ref: 'SendMessagesPolicy',
    });
  });
});

describe('SendMessagesPolicy', () => {
  it('grants SendTextMessage only when End User Messaging sends SMS', () => {
    // Act
    const grants = sendMessagesStatements().filter(({ statement }) =>
      actionsOf(statement).some((action) => action.startsWith('sms-voice:')),
    );

    // Assess
    expect(grants.map(({ condition }) => condition)).toEqual(['SendsSmsByEndUserMessaging']);
    expect(translated.Conditions.SendsSmsByEndUserMessaging).toEqual({
      'Fn::Equals': [{ Ref: 'SmsProvider' }, 'end-user-messaging'],
    });
    expect(actionsOf(grants[0]?.statement as Statement)).toEqual(['sms-voice:SendTextMessage']);
  });

  it("names the stack's configuration set and no other, and no resource of another account or region", () => {
    // Act
    const [grant] = sendMessagesStatements().filter(({ statement }) =>
      actionsOf(statement).includes('sms-voice:SendTextMessage'),
    );
    const arns = [grant?.statement.Resource]
      .flat()
      .map((resource) => (resource as { 'Fn::Sub': string })['Fn::Sub']);

    // Assess
    const configurationSets = arns.filter((arn) => arn.includes(':configuration-set/'));
    expect(configurationSets).toEqual([
      'arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:configuration-set/${SmsConfigurationSet}',
    ]);
    for (const arn of arns) {
      expect(arn.startsWith('arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:')).toBe(true);
    }
    expect(resources.SmsConfigurationSet?.Type).toBe('AWS::SMSVOICE::ConfigurationSet');
  });
});

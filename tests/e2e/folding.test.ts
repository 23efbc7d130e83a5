/**
 * Provider-ignored variants of an address, through the local runtime: a `+tag` (any domain) and
 * Gmail's dots fold into the key the denylist and budgets use, while mail still goes to the
 * address as typed.
 */
import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../layers/core/src/system.ts';
import { stores } from '../support/core-fixtures.ts';
import { emailsTo, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

/** A fresh name with no dots, so a test can add its own. */
const freshName = (label: string) => (uniqueEmail(label).split('@')[0] as string).replaceAll('.', '');

const deny = (key: string) =>
  stores().denylist(systemClock).deny({ key, reason: 'complaint', source: 'operator', deniedAt: Date.now() });

describe('variants of a denylisted address', () => {
  it('refuses f.o.o+x@googlemail.com with 422 when foo@gmail.com is denylisted, and mails nothing', async () => {
    const name = freshName('gmail');
    await deny(`email#${name}@gmail.com`);
    const variant = `${name.slice(0, 3)}.${name.slice(3)}+x@googlemail.com`;

    const reply = await suite.http.start(variant);

    expect(reply).toMatchObject({ status: 422, body: { code: 'identifier_rejected' } });
    expect(await emailsTo(variant)).toHaveLength(0);
  });

  it('refuses a +tag of a denylisted address on any domain', async () => {
    const name = freshName('tagged');
    await deny(`email#${name}@example.com`);

    expect((await suite.http.start(`${name}+promo@example.com`)).status).toBe(422);
  });

  it('keeps the dots of other domains: f.oo@example.com is not foo@example.com', async () => {
    const name = freshName('dots');
    await deny(`email#${name}@example.com`);
    const dotted = `${name.slice(0, 3)}.${name.slice(3)}@example.com`;

    expect((await suite.http.start(dotted)).status).toBe(202);
    expect(await emailsTo(dotted)).toHaveLength(1);
  });
});

describe('a tagged address', () => {
  it('gets its code at the address as typed', async () => {
    const name = freshName('typed');
    const typed = `${name}+Work@example.com`;

    expect((await suite.http.start(typed)).status).toBe(202);

    expect(await emailsTo(typed)).toHaveLength(1);
    expect(await emailsTo(`${name}@example.com`)).toHaveLength(0);
  });
});

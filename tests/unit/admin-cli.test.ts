/** The operator's command line, as it reads its arguments. */
import { describe, expect, it } from '@jest/globals';
import { parseCommand } from '../../scripts/admin.ts';

describe('npm run admin -- keys revoke <kid>', () => {
  it('takes a kid that starts with "-" (base64url) as the kid, not as an option', () => {
    // Act
    const parsed = parseCommand([
      'keys',
      'revoke',
      '-jaYVFsSpRD5djjdGWno60lMISDBADA-M5BZ27Yi0Ks',
      '--url',
      'http://localhost:3999',
    ]);

    // Assess
    expect(parsed).toEqual({
      command: { command: 'keys-revoke', kid: '-jaYVFsSpRD5djjdGWno60lMISDBADA-M5BZ27Yi0Ks' },
      options: expect.objectContaining({ url: 'http://localhost:3999' }),
    });
  });

  it('still reads its options when they come first', () => {
    expect(parseCommand(['keys', 'revoke', '--json', 'abc']).command).toEqual({
      command: 'keys-revoke',
      kid: 'abc',
    });
  });
});

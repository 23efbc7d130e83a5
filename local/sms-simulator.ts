/**
 * AWS End User Messaging SMS's destination simulator numbers, by country (ISO code, success number,
 * failure number), as its user guide lists them. Locally they mean the same for both SMS senders:
 * End User Messaging reports a failure number's message as undeliverable in its events, and SNS
 * refuses to publish to one, as it refuses a number it cannot send to.
 */
const SIMULATOR_NUMBERS: [country: string, success: string, failure: string][] = [
  ['AT', '+43676800442031', '+43676800442032'],
  ['AU', '+61455944038', '+61455944039'],
  ['BE', '+32460213922', '+32460213923'],
  ['CH', '+41798075872', '+41798075874'],
  ['CL', '+56229140630', '+56229140631'],
  ['CZ', '+420790542286', '+420790542287'],
  ['DK', '+4525919410', '+4525919215'],
  ['EE', '+37282720792', '+37282720793'],
  ['ES', '+34683783440', '+34683783442'],
  ['FI', '+3584573979110', '+3584573979111'],
  ['FR', '+33755512501', '+33755512502'],
  ['GB', '+447860019066', '+447860019067'],
  ['HK', '+85257048426', '+85257048854'],
  ['HU', '+36707178770', '+36707178772'],
  ['IT', '+394390009172', '+394390009174'],
  ['JE', '+447937404990', '+447937404992'],
  ['LU', '+352691385880', '+352691385882'],
  ['NL', '+3197008100148', '+3197008100150'],
  ['NO', '+4759449384', '+4759449387'],
  ['PL', '+48732141440', '+48732141442'],
  ['PT', '+351927946948', '+351927946950'],
  ['RO', '+40783900330', '+40783900332'],
  ['SE', '+46790645100', '+46790645102'],
  ['TW', '+886903444630', '+886903444632'],
  ['US', '+14254147755', '+14254147167'],
];

const failures = new Map(SIMULATOR_NUMBERS.map(([country, , failure]) => [failure, country]));
const successes = new Map(SIMULATOR_NUMBERS.map(([country, success]) => [success, country]));

export const isFailureSimulatorNumber = (phoneNumber: string): boolean => failures.has(phoneNumber);

/** The simulator's country for one of its numbers (a simulator number's own country code can mislead: JE). */
export const simulatorCountry = (phoneNumber: string): string | undefined =>
  failures.get(phoneNumber) ?? successes.get(phoneNumber);

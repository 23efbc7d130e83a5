import { loadConfig, requireVariable } from '@authkit/core';

/** Read once per cold start; a bad value stops the function here with the variable's name. */
export const config = loadConfig(process.env);

/** The stack's tables: wiring, not tunables; every function is given their names (template.yaml Globals). */
export const tables = Object.freeze({
  challenges: requireVariable(process.env, 'CHALLENGES_TABLE'),
  counters: requireVariable(process.env, 'COUNTERS_TABLE'),
  denylist: requireVariable(process.env, 'DENYLIST_TABLE'),
  users: requireVariable(process.env, 'USERS_TABLE'),
  sessions: requireVariable(process.env, 'SESSIONS_TABLE'),
});

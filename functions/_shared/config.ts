import { loadConfig } from '@authkit/core';

/** Read once per cold start; a bad value stops the function here with the variable's name. */
export const config = loadConfig(process.env);

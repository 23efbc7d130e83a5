/** `@authkit/core/adapters/dynamodb`: the stores, and the DynamoDB clients the functions build them on. */
export { DynamoDBClient } from '@aws-sdk/client-dynamodb';
export { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export { DynamoAuditLog, DynamoAuditTrail } from './audit-log.ts';
export { DynamoChallengeStore } from './challenge-store.ts';
export { DynamoCounterStore } from './counter-store.ts';
export { DynamoDenylistStore } from './denylist-store.ts';
export { DynamoDeviceStore } from './device-store.ts';
export { DynamoLockStore } from './lock-store.ts';
export { DynamoSessionLookup, DynamoSessionStore } from './session-store.ts';
export { DynamoSmsBreakerStore } from './sms-breaker-store.ts';
export { probeTable } from './table-probe.ts';
export { DynamoUserStore } from './user-store.ts';

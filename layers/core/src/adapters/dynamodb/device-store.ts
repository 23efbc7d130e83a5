import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEVICE_RETENTION_MS } from '../../devices.ts';
import type { DeviceBinding, DeviceDescription, DeviceRecord, DeviceStore } from '../../ports.ts';
import { ifConditionHolds, transact, ttlFor } from './conditional.ts';

const PREFIX = 'device#';
/** Only a device that exists and is not revoked is seen or bound. */
const ACTIVE = 'attribute_exists(sk) AND attribute_not_exists(revokedAt)';

/**
 * Devices in the accounts table, beside the user's sessions: `pk` = userId, `sk` = `device#<id>`, so
 * one strongly consistent Query lists a user's devices. A device not seen for DEVICE_RETENTION_MS
 * is dropped by TTL; every sighting moves that on.
 */
export class DynamoDeviceStore implements DeviceStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async create(device: DeviceRecord): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: this.#item(device),
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  }

  async createForSession(device: DeviceRecord, sessionId: string): Promise<boolean> {
    const result = await transact(this.#db, [
      {
        Put: {
          TableName: this.#table,
          Item: this.#item(device),
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      },
      {
        // The session's summary item (the session store's): one device per session, never re-pointed.
        Update: {
          TableName: this.#table,
          Key: { pk: device.userId, sk: `session#${sessionId}` },
          UpdateExpression: 'SET deviceId = :deviceId',
          ConditionExpression:
            'attribute_exists(sk) AND attribute_not_exists(deviceId) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':deviceId': device.deviceId },
        },
      },
    ]);
    return result.ok;
  }

  #item(device: DeviceRecord): Record<string, unknown> {
    const { userId, deviceId, ...fields } = device;
    return {
      ...fields,
      pk: userId,
      sk: PREFIX + deviceId,
      ttl: ttlFor(device.lastSeenAt + DEVICE_RETENTION_MS),
    };
  }

  async list(userId: string): Promise<DeviceRecord[]> {
    const devices: DeviceRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :userId AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':userId': userId, ':prefix': PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      devices.push(...(page.Items ?? []).map(toDevice));
      start = page.LastEvaluatedKey;
    } while (start);
    return devices;
  }

  async find(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: userId, sk: PREFIX + deviceId },
        ConsistentRead: true,
      }),
    );
    return Item ? toDevice(Item) : undefined;
  }

  async touch(
    userId: string,
    deviceId: string,
    sighting: { now: number; network: string; attributes: DeviceDescription },
  ): Promise<boolean> {
    // Attribute by attribute: what this sighting named replaces what an earlier one did, and what
    // it left out (a refresh that sent only its User-Agent) stays.
    const named = Object.entries(sighting.attributes).filter(([key]) => key !== 'name');
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, unknown> = {
      ':now': sighting.now,
      ':network': sighting.network,
      ':ttl': ttlFor(sighting.now + DEVICE_RETENTION_MS),
    };
    const sets = ['lastSeenAt = :now', 'lastNetwork = :network', '#ttl = :ttl'];
    named.forEach(([key, value], index) => {
      names[`#a${index}`] = key;
      values[`:a${index}`] = value;
      sets.push(`attributes.#a${index} = :a${index}`);
    });
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: userId, sk: PREFIX + deviceId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: ACTIVE,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return result.ok;
  }

  async bind(userId: string, deviceId: string, binding: DeviceBinding): Promise<DeviceRecord | undefined> {
    const { name: _, ...attributes } = binding.attributes;
    const values: Record<string, unknown> = {
      ':attributes': attributes,
      ':now': binding.now,
      ':ttl': ttlFor(binding.now + DEVICE_RETENTION_MS),
    };
    // One write sets the whole binding: of two binds at once, the device ends as one of them, never a mix.
    const sets = ['attributes = :attributes', 'boundAt = :now', 'lastSeenAt = :now', '#ttl = :ttl'];
    const removes: string[] = [];
    for (const field of ['name', 'publicKey'] as const) {
      if (binding[field] === undefined) removes.push(`#${field}`);
      else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = binding[field];
      }
    }
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: userId, sk: PREFIX + deviceId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: ACTIVE,
          ExpressionAttributeNames: { '#ttl': 'ttl', '#name': 'name', '#publicKey': 'publicKey' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return result.ok && result.value.Attributes ? toDevice(result.value.Attributes) : undefined;
  }

  async revoke(
    userId: string,
    deviceId: string,
    now: number,
  ): Promise<'revoked' | 'already-revoked' | 'unknown'> {
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: userId, sk: PREFIX + deviceId },
          UpdateExpression: 'SET revokedAt = :now',
          ConditionExpression: ACTIVE,
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result.ok) return 'revoked';
    return result.old ? 'already-revoked' : 'unknown';
  }
}

function toDevice(item: Record<string, unknown>): DeviceRecord {
  const optional = <K extends string>(key: K) => (item[key] === undefined ? {} : { [key]: item[key] });
  return {
    deviceId: (item.sk as string).slice(PREFIX.length),
    userId: item.pk as string,
    ...optional('name'),
    attributes: item.attributes as DeviceDescription,
    ...optional('publicKey'),
    createdAt: item.createdAt as number,
    lastSeenAt: item.lastSeenAt as number,
    ...optional('boundAt'),
    ...optional('revokedAt'),
    lastNetwork: item.lastNetwork as string,
  } as DeviceRecord;
}

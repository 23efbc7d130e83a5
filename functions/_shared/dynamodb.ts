import { DynamoDBClient, DynamoDBDocumentClient } from '@authkit/core/adapters/dynamodb';
import { tracer } from './powertools.ts';

export const db = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});

// Package config reads the functions' configuration: environment variables,
// validated once at cold start (FromEnv), and the Mangopay credentials,
// read from Secrets Manager and cached in the process (SecretCredentials).
//
// # Environment variables
//
//	TABLE_NAME                required  records table (DynamoDB)
//	PAGES_BUCKET              required  KYC pages bucket (S3)
//	MANGOPAY_SECRET_ARN       required  credentials secret; or MANGOPAY_SECRET_ID (name or ARN)
//	MANGOPAY_BASE_URL         required  https://api.sandbox.mangopay.com or https://api.mangopay.com
//	                                    (host only; plain http only to 127.0.0.1, for a local fake)
//	MANGOPAY_DEBUG            optional  true/false, 1/0: log Mangopay calls, redacted (default false)
//	SECRET_TTL                optional  how long credentials are cached, e.g. 5m (default), 1s to 24h
//	PAGES_KMS_KEY_ID          optional  encrypt pages with this KMS key instead of SSE-S3
//	EVENT_BUS_NAME            optional  EventBridge bus for our events (payout outcomes...)
//	PAYOUT_OUTCOME_QUEUE_URL  optional  SQS queue receiving payout outcomes
//
// # The credentials secret
//
// The secret's string value is a JSON object with exactly two fields:
//
//	{"client_id": "your-mangopay-client-id", "api_key": "your-mangopay-api-key"}
//
// Create it with, for example:
//
//	aws secretsmanager create-secret --name lambda-mangopay/credentials \
//	  --secret-string '{"client_id":"...","api_key":"..."}'
//
// Any other shape is refused with an error naming the fields at fault,
// never their values. To rotate the key, put a new secret value: a warm
// function keeps the cached key until its TTL ends, or until Mangopay
// answers 401, when the client calls Refresh and the secret is read again
// (at most once per 10 s, however many calls fail at once).
package config

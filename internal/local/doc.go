// Package local runs the function set on one machine as it runs in AWS.
//
// A Stack reads template.yaml and starts what the functions need on
// 127.0.0.1: moto_server for AWS and the fake Mangopay (unless a real
// MANGOPAY_BASE_URL and secret are given). It creates the resources the
// template declares (the records table, the pages bucket, every queue
// with its redrive policy, the credentials secret, an event bus with a
// rule copying every event to a local "outcomes" queue), builds every
// function's real bootstrap binary for the host and runs it through
// package lambdaruntime (a local Lambda Runtime API). It then plays
// Lambda's and API Gateway's parts: the HTTP API with the template's
// routes (payload 2.0), the SQS event source mappings (batches, partial
// batch failures, redrive to the dead-letter queues), the pages bucket's
// notification to add-page, the schedules on a local clock and on demand,
// and Mangopay's hooks to receive-hook.
//
// Demo runs the marketplace story through the local HTTP API as a client
// would; cmd/lambda-local is the command (make run, make demo, make
// invoke).
package local

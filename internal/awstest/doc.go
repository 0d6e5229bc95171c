// Package awstest runs the tests that need AWS against a local moto_server.
//
// A package's TestMain calls Main once per test binary: it starts
// `moto_server -H 127.0.0.1 -p PORT` on a free port, waits until the server
// answers, runs the tests and stops the server. Each test then builds its
// SDK configuration with Config (or CountingConfig), which points at the
// server with static credentials and gives the test a moto account of its
// own through the x-moto-account-id header, so tests run in parallel
// without seeing each other's tables, queues or secrets. S3 bucket names
// stay global in moto: make them unique with UniqueName.
//
// moto_server is found through the MOTO_SERVER environment variable (a
// path) or on PATH; behind a pyenv shim the real executable is used, which
// starts faster. Install it with `pip install 'moto[server]'`.
package awstest

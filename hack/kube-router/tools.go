//go:build tools

// Pins kube-router, the test bed's NetworkPolicy enforcer (only its network-policy
// controller runs; test/e2e/netpol.test.ts), so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"

// Package tfcheck reads the Terraform configuration in terraform/ without
// Terraform and checks the promises the deployment makes: least privilege (no
// primitive roles, no public invokers), dead-letter policies on every declared
// subscription, and function entry points that match the names registered in
// functions/. Its tests run with `go test`, so the checks hold on any machine,
// with no providers or network.
package tfcheck

// Package intakebench measures intake as senders see it, the real dncsync binary beside the
// tutorial's Node.js service in one run; its test, built with -tags intakebench, is the benchmark
// (`make bench-intake`). See intakebench_test.go.
package intakebench

// Package eligibilitybench measures the eligibility API as a dialer uses it: a store of many numbers
// (the embedded store, Redis and PostgreSQL), one number at a time and batches of 10,000 through the real
// handlers over loopback HTTP. Its test, built with -tags eligibilitybench, is the benchmark (`make
// bench-eligibility`); it writes its section of BENCHMARKS.md and asserts nothing about speed.
package eligibilitybench

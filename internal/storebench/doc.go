// Package storebench measures the three stores side by side (embedded bbolt, Redis, PostgreSQL):
// what each holds per number with full evidence, lookups of a number at that size, and intake in
// batches of 100 through the store's API. Its test, built with -tags storebench, is the benchmark
// (`make bench-store`); it writes its section of BENCHMARKS.md and asserts nothing about speed.
package storebench

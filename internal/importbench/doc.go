// Package importbench measures `dncsync import` as an operator runs it: the real binary, a
// million-row CSV file into a Redis with the append-only file on (appendfsync everysec), its rerun,
// and a gzip bomb into the embedded store. Its test, built with -tags importbench, is the benchmark
// (`make bench-import`); it writes its section of BENCHMARKS.md and asserts nothing about speed.
package importbench

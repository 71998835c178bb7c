# The README's commands. `make test` is what CI runs.
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 10s

# The build's identity, stamped with -ldflags (a build with -buildvcs=false, or without .git as in
# a container, has no VCS stamp of its own): dncsync version prints both.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
LDFLAGS = -X github.com/dncsync/dncsync/internal/version.Version=$(VERSION) -X github.com/dncsync/dncsync/internal/version.Commit=$(COMMIT)

.PHONY: run build image test check unit fuzz bench bench-intake bench-drain bench-latency bench-import bench-store load alerts docs

run:
	go run -ldflags "$(LDFLAGS)" ./cmd/dncsync demo

# docs/configuration.md from the settings the binary declares (a test fails when they differ).
docs:
	go run ./cmd/dncsync config-doc > docs/configuration.md

build:
	go build -trimpath -ldflags "$(LDFLAGS)" -o dncsync ./cmd/dncsync

# The container image, tagged with the version (needs Docker or Podman; none runs on the dev machines).
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t dncsync:$(VERSION) .

test: check unit fuzz alerts

check:
	@# Not tee /dev/stderr: reopening stderr truncates a log file it is redirected to.
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "$$out" >&2; echo "gofmt: the files above need formatting" >&2; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...

unit:
	go test -race -count=1 -timeout 20m ./...

fuzz:
	go test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/phone/
	go test -run='^$$' -fuzz='^FuzzParseEvent$$' -fuzztime=$(FUZZTIME) ./internal/intake/
	go test -run='^$$' -fuzz='^FuzzImportReader$$' -fuzztime=$(FUZZTIME) ./internal/intake/
	go test -run='^$$' -fuzz='^FuzzParseAdminTime$$' -fuzztime=$(FUZZTIME) ./internal/cxone/

# The Prometheus alert rules: syntax, and their unit tests (promtool is in Debian's prometheus package).
alerts:
	@if command -v promtool >/dev/null; then \
		promtool check rules deploy/prometheus/dncsync.rules.yml && \
		cd deploy/prometheus && promtool test rules dncsync.rules.test.yml; \
	elif [ -n "$$CI" ]; then echo "promtool is missing: apt-get install prometheus"; exit 1; \
	else echo "promtool is not installed: alert rules not checked (apt-get install --no-install-recommends prometheus)"; fi

bench:
	go test -run='^$$' -bench=. -benchmem ./internal/phone/ ./internal/queue/... ./internal/intake/

# Intake side by side with the tutorial's service (node, installed from ../shared/seed/node with npm ci):
# writes its table into BENCHMARKS.md. BENCH_DURATION (default 10s) per configuration.
bench-intake:
	go test -count=1 -tags intakebench -run '^TestIntakeBench$$' -timeout 30m -v ./internal/intakebench/

# The drain against the simulator's rate-limit shapes with the real binary; writes BENCHMARKS.md.
# Heavy (about ten minutes): on a shared machine, run it under flock /tmp/dncsync-heavy.lock.
# BENCH_SECONDS (default 60) sets each drain's length at its true cap; BENCH_ONLY picks scenarios.
# Issue 16's 12-s drain: BENCH_ONLY="12 s" BENCH_REPEAT=5 (runs each scenario 5 times; BENCH_BIN, BENCH_TRACE: see the test).
bench-drain:
	go test -count=1 -tags drainbench -run '^TestDrainBench$$' -timeout 60m -v ./internal/drainbench/

# Receipt to the destination at light load (10 events/s, both stores) and a 20,000-event burst at
# 1,200 rpm, through the real binary against the CXone simulator; writes BENCHMARKS.md. A few minutes:
# on a shared machine, run it under flock /tmp/dncsync-heavy.lock. BENCH_LATENCY_SECONDS (default 30),
# BENCH_BURST (default 20000) and BENCH_ONLY change it.
bench-latency:
	go test -count=1 -tags drainbench -run '^TestLatencyBench$$' -timeout 30m -v ./internal/drainbench/

# `dncsync import` of 200,000 and 1,000,000 CSV rows into Redis (appendonly yes, everysec), their
# reruns, and a 1.2 GB gzip bomb: writes its section of BENCHMARKS.md. Heavy (a few minutes): on a
# shared machine, run it under flock /tmp/dncsync-heavy.lock. BENCH_ROWS and BENCH_BOMB_MB change the sizes.
bench-import:
	go test -count=1 -tags importbench -run '^TestImportBench$$' -timeout 30m -v ./internal/importbench/

# Eligibility: one number and batches of 10,000 through GET/POST /v1/eligibility on a store of
# BENCH_NUMBERS numbers (default 1000000; the issue's figure is 10000000), embedded, Redis and
# PostgreSQL (BENCH_STORES), then a scrub; writes its section of BENCHMARKS.md. BENCH_DATA_DIR keeps
# the embedded store there to measure again without seeding. Heavy: under flock /tmp/dncsync-heavy.lock.
bench-eligibility:
	go test -count=1 -tags eligibilitybench -run '^TestEligibilityBench$$' -timeout 120m -v ./internal/eligibilitybench/

# The three stores side by side (bytes per number with full evidence, lookup p50/p99, intake in batches
# of 100) at BENCH_NUMBERS (default 1000000); writes BENCHMARKS.md. Heavy: under flock /tmp/dncsync-heavy.lock.
bench-store:
	go test -count=1 -tags storebench -run '^TestStoreBench$$' -timeout 180m -v ./internal/storebench/

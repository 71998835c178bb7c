# The README's commands. `make test` is what CI runs.
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 10s

.PHONY: run test check unit fuzz bench load

run:
	go run ./cmd/dncsync demo

test: check unit fuzz

check:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: the files above need formatting" && exit 1)
	go vet ./...
	go run $(STATICCHECK) ./...

unit:
	go test -race -count=1 -timeout 20m ./...

fuzz:
	go test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/phone/
	go test -run='^$$' -fuzz='^FuzzParseEvent$$' -fuzztime=$(FUZZTIME) ./internal/intake/

bench:
	go test -run='^$$' -bench=. -benchmem ./internal/phone/ ./internal/queue/... ./internal/intake/

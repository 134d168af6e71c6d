# ktxh: the two set-up commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/ktxh
PKGS    := ./...

.PHONY: all build assets demo test vet bench clean

all: build

# The dashboards serve echarts themselves (government networks are often
# offline): npm pins it, scripts/vendor-assets.sh copies it into the embed
# directory before the Go build.
assets:
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund; fi; \
	  if [ -x scripts/vendor-assets.sh ]; then scripts/vendor-assets.sh; fi; \
	fi

build: assets
	$(GO) build -o $(BIN) ./cmd/ktxh

demo: build
	./$(BIN) demo

vet:
	$(GO) vet $(PKGS)

test: assets vet
	$(GO) test -count=1 -timeout 12m $(PKGS)

bench: build
	./$(BIN) bench ingest --records 1000000 --runs 3
	$(GO) test -run '^$$' -bench . -benchtime 1x ./warehouse/ ./dashboards/...

clean:
	rm -rf bin ktxh-data

# Ocean — developer and CI entry points.
#
#   make test    make lint (the setup scripts and the services start meanwhile),
#                then the full test suite (race detector) against
#                throwaway PostgreSQL + Redis from scripts/services.sh
#                (with -cover: it ends with the coverage table of scripts/cover.sh
#                and fails when a business package or the API is below 85%)
#                The drills report their figures (requests, failures, p99;
#                restore and migration checks) at the end (drills.out).
#   make pages   axe, visual regression (phone, desktop) and Lighthouse (part of make test)
#   make baselines   rewrite the screenshots e2e/baselines/*.png after a visual change
#   make cover   statement coverage per package by its own tests (with services);
#                fails below 85% for the business packages and the API
#   make drill-bluegreen   the release drills alone, verbose
#   make drill-backup      backup/restore times: demo shop and 100,000 orders
#   make lint    gofmt, golangci-lint (.golangci.yml: govet, staticcheck, gosec,
#                errcheck, revive, ...), the dependency licence check; the
#                tools are pinned in tools/go.mod (docs/decisions/0018)
#   make run     run the shop (go run ./cmd/ocean)
#   make bench   Go benchmarks (with services), then scripts/bench.sh if present
#   make loadtest  10,000 shopper sessions against the embedded shop and a
#                three-instance fleet (scripts/loadtest.sh, docs/performance.md)
#   make fuzz    FUZZTIME (20s) per fuzz target: search, cursor, tokens, cookies, keys,
#                webhook signatures, card token requests, picture uploads, CSV imports
#   make icons   re-fetch the vendored Heroicons SVGs (scripts/icons.sh)

export PATH := /usr/local/go/bin:$(PATH)
# Go 1.26.8 (this machine's) has standard-library vulnerabilities fixed
# later; go1.27.3 is the newer Go the module proxy serves here. The go
# command fetches it like a module (76 MB, once per machine).
export GOTOOLCHAIN := go1.27.3

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

SERVICES := scripts/services.sh
SERVICES_ENV = $${OCEAN_SERVICES_DIR:-$(CURDIR)/.services}/env

# Prefix for a one-shell recipe: start the services, always stop them on
# exit (the shell's exit status stays that of the failing/last command),
# and export their URLs plus OCEAN_REQUIRE_SERVICES=1.
WITH_SERVICES = trap '$(SERVICES) stop' EXIT; \
	$(SERVICES) start; \
	. "$(SERVICES_ENV)"; \
	export OCEAN_REQUIRE_SERVICES=1;

.PHONY: pages baselines lighthouse test cover lint vulncheck drill-bluegreen drill-backup run bench loadtest fuzz icons

# The linters are Go tool dependencies of their own module (tools/go.mod), so
# the shop's go.mod carries none of their dependencies.
TOOL := go tool -modfile=$(CURDIR)/tools/go.mod

# The set-up that mostly waits on the network and the disk (the apt and npm
# installs of the setup scripts, the services' start) runs in the background
# while lint keeps both cores busy; its output follows lint's. The tests
# start once both are done and passed.
# The end-to-end packages (cli, mcp, probe, deploy: the whole binary, browsers,
# nginx, Prometheus) run without the race detector, beside the race-detected
# run of every other package: under -race they took 12 minutes of a 2-core
# machine, and their journeys are covered for races by the packages below them.
# They spend much of their time waiting (on browsers, drills, restarts), which
# the race run fills. Each run's output goes to its own file and is printed
# when both are done; test-cover.out holds both for scripts/cover.sh.
# -vet=off: golangci-lint's govet (in lint, tests included) already ran every
# analyzer go test would run again per package.
test:
	trap '$(SERVICES) stop' EXIT; \
	setup_log=$$(mktemp); \
	{ scripts/e2e-setup.sh && scripts/tls-setup.sh && scripts/ops-setup.sh && $(SERVICES) start; } >"$$setup_log" 2>&1 & setup=$$!; \
	lint=0; $(MAKE) lint || lint=$$?; \
	setup_ok=0; wait $$setup || setup_ok=$$?; \
	echo "--- set-up (ran during lint):"; cat "$$setup_log"; rm -f "$$setup_log"; \
	if [ $$lint -ne 0 ]; then exit $$lint; fi; \
	if [ $$setup_ok -ne 0 ]; then echo "make test: the set-up above failed" >&2; exit $$setup_ok; fi; \
	. "$(SERVICES_ENV)"; \
	export OCEAN_REQUIRE_SERVICES=1; \
	export OCEAN_DRILL_REPORT=$(CURDIR)/drills.out; rm -f drills.out; \
	e2e='^github.com/oceanshop/ocean/(internal/cli|internal/mcp|internal/probe|deploy)(/|$$)'; \
	go test -count=1 -cover -vet=off -timeout 15m $$(go list ./... | grep -E "$$e2e") >test-e2e.out 2>&1 & e2e_run=$$!; \
	go test -race -count=1 -cover -vet=off -timeout 15m $$(go list ./... | grep -v -E "$$e2e") >test-race.out 2>&1 & race_run=$$!; \
	race_ok=0; wait $$race_run || race_ok=$$?; \
	echo "--- go test -race (all but the end-to-end packages):"; cat test-race.out; \
	e2e_ok=0; wait $$e2e_run || e2e_ok=$$?; \
	echo "--- go test (the end-to-end packages, beside the race run):"; cat test-e2e.out; \
	cat test-race.out test-e2e.out >test-cover.out; rm -f test-race.out test-e2e.out; \
	if [ $$race_ok -ne 0 ] || [ $$e2e_ok -ne 0 ]; then echo "make test: tests failed (see above)" >&2; exit 1; fi; \
	pages_ok=0; scripts/pages.sh || pages_ok=$$?; \
	echo "Drills (releases, migrations, restore):"; cat drills.out 2>/dev/null || true; \
	echo "Lighthouse:"; cat lighthouse.out 2>/dev/null || true; \
	if [ $$pages_ok -ne 0 ]; then echo "make test: the page checks failed (axe, screenshots or Lighthouse; see above)" >&2; exit 1; fi; \
	scripts/cover.sh test-cover.out

# The page-level browser checks (scripts/pages.sh): axe-core and screenshots
# against e2e/baselines/ on a phone and a desktop, and Lighthouse with its
# floor (lighthouse.out). They run after the Go tests, on a quiet machine:
# Lighthouse's timings are the page's, not a busy CPU's.
pages:
	scripts/pages.sh

lighthouse:
	scripts/pages.sh lighthouse

# Rewrite the screenshot baselines on purpose after a visual change; commit them.
baselines:
	scripts/pages.sh baselines

# Coverage without -race (one plain run of the gated packages only).
cover:
	$(WITH_SERVICES) \
	scripts/cover.sh

# golangci-lint runs go vet's analyzers too (govet), and keeps its results in
# its cache (GOLANGCI_LINT_CACHE, default ~/.cache/golangci-lint).
lint:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt -w these files:"; echo "$$unformatted"; exit 1; fi
	$(TOOL) golangci-lint run ./...
	cd tools && $(TOOL) golangci-lint run --config ../.golangci.yml ./...
	cd tools && go run ./licences -C .. ./cmd/ocean
	$(MAKE) vulncheck

# govulncheck against an offline copy of the Go vulnerability database
# (scripts/vulndb.sh; `scripts/vulndb.sh update` pins a newer one); part of
# lint. It fails on a vulnerability in code the binary calls.
vulncheck:
	db=$$(scripts/vulndb.sh); $(TOOL) govulncheck -db "file://$$db" ./...

run:
	go run ./cmd/ocean

bench:
	$(WITH_SERVICES) \
	go test -run='^$$' -bench=. -benchmem -timeout=60m ./...; \
	if [ -f scripts/bench.sh ]; then bash scripts/bench.sh; fi

# Shopper sessions (cmd/ocean-load) against the embedded shop and a
# three-instance fleet over PostgreSQL + Redis; LOAD_SESSIONS (10000),
# LOAD_RAMP (60s), LOAD_STEADY (2m), LOAD_THINK (5s), LOAD_MODE, LOAD_SCENARIOS
# (scripts/loadtest.sh, docs/performance.md). About 8 minutes; not part of test.
loadtest:
	$(WITH_SERVICES) \
	bash scripts/loadtest.sh

FUZZTIME ?= 20s

fuzz:
	go test -run='^$$' -fuzz=FuzzParseQuery -fuzztime=$(FUZZTIME) ./internal/catalog
	go test -run='^$$' -fuzz=FuzzDecodeCursor -fuzztime=$(FUZZTIME) ./internal/catalog
	go test -run='^$$' -fuzz=FuzzImportCSV -fuzztime=$(FUZZTIME) ./internal/catalog
	go test -run='^$$' -fuzz=FuzzVerify$$ -fuzztime=$(FUZZTIME) ./internal/token
	go test -run='^$$' -fuzz=FuzzVerifySigned -fuzztime=$(FUZZTIME) ./internal/token
	go test -run='^$$' -fuzz=FuzzParseRefresh -fuzztime=$(FUZZTIME) ./internal/token
	go test -run='^$$' -fuzz=FuzzSessionCookie -fuzztime=$(FUZZTIME) ./internal/account
	go test -run='^$$' -fuzz=FuzzVerifyPassword -fuzztime=$(FUZZTIME) ./internal/account
	go test -run='^$$' -fuzz=FuzzDecrypt -fuzztime=$(FUZZTIME) ./internal/secret
	go test -run='^$$' -fuzz=FuzzParseKeyring -fuzztime=$(FUZZTIME) ./internal/secret
	go test -run='^$$' -fuzz=FuzzSafeNext -fuzztime=$(FUZZTIME) ./internal/web
	go test -run='^$$' -fuzz=FuzzVerifySignature -fuzztime=$(FUZZTIME) ./internal/payment
	go test -run='^$$' -fuzz=FuzzDecodeTokenRequest -fuzztime=$(FUZZTIME) ./internal/payment/sandbox
	go test -run='^$$' -fuzz=FuzzReadForm -fuzztime=$(FUZZTIME) ./internal/media
	go test -run='^$$' -fuzz=FuzzUpload -fuzztime=$(FUZZTIME) ./internal/media

# The release drills alone (part of make test too): blue-green behind nginx
# (deploy/bluegreen.sh) and the in-place upgrade, with their figures.
drill-bluegreen:
	scripts/ops-setup.sh
	$(WITH_SERVICES) \
	go test -count=1 -v -run 'TestBlueGreenDrill|TestInPlaceUpgradeDrill' ./deploy 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|DRILL|nginx:|failed'

# Backup and restore times for the demo shop and for 100,000 orders, on
# SQLite and PostgreSQL (minutes; the figures of
# docs/runbooks/disaster-recovery.md).
drill-backup:
	$(WITH_SERVICES) \
	OCEAN_DRILL_BACKUP=1 go test -count=1 -v -timeout 30m -run TestBackupRestoreTimes ./internal/cli 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|BACKUP|_test.go'

icons:
	scripts/icons.sh

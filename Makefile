# Ocean — developer and CI entry points.
#
#   make setup   install what make test needs, once per machine (idempotent: a
#                few seconds when all is there): Debian's Chromium, node/npm
#                and the pinned npm packages, testssl, nginx, Prometheus,
#                PostgreSQL, Redis, stripe-mock, the Go modules, the pinned
#                linters and govulncheck built, the offline vulnerability DB;
#                then it compiles (runs nothing) what make test runs: the
#                test binaries, the shop's binary, lint's export data
#   make test    make setup (a check once done), then scripts/test.sh: make lint
#                beside the unit tests (-race -cover where a package runs
#                goroutines, -cover elsewhere) of every package but the
#                end-to-end ones, beside the -cover tests of those (cli, mcp,
#                probe, deploy: the whole binary, browsers, nginx, Prometheus,
#                the release drills), all against throwaway PostgreSQL + Redis
#                + stripe-mock (scripts/services.sh); the page checks (axe,
#                screenshots, journeys) once the race run is done; Lighthouse
#                alone at the end; then the coverage table (scripts/cover.sh,
#                fails below 85% for the business packages and the API), the
#                drills' figures (drills.out), Lighthouse's table and the time
#                of each phase. Installing is not testing: .ci/run calls make
#                setup first, so make test's time is the tests' own.
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
# -trimpath: what a build compiles does not depend on where the clone is,
# so a fresh clone (CI's) reuses what the build cache holds from another
# one, and lint, the test runs, the drills' and the page checks' builds
# share it as before. Release builds use it too (scripts/release.sh).
export GOFLAGS := -trimpath $(GOFLAGS)

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

.PHONY: setup pages baselines lighthouse test cover lint vulncheck drill-bluegreen drill-backup run bench loadtest fuzz icons

# The linters are Go tool dependencies of their own module (tools/go.mod), so
# the shop's go.mod carries none of their dependencies.
TOOL := go tool -modfile=$(CURDIR)/tools/go.mod

# Installation, separate from the tests (.ci/run runs it before make test;
# make test runs it again, which then only checks). The system packages
# (apt, npm: network and disk) install beside the Go part (module downloads,
# building the pinned linters and the vulnerability database: CPU). Then it
# builds what make test runs, and runs none of it (scripts/test.sh build,
# docs/decisions/0170): the test binaries of both flavours into .test-bin/,
# the shop's binary, lint's export data; make test links again only what
# changed since. A package that does not build does not fail setup: make
# test reports it with the tests. (As make test's prerequisite, setup leaves
# the building to scripts/test.sh.)
setup:
	@go_log=$$(mktemp); \
	{ go mod download && (cd tools && go mod download) && \
	  $(TOOL) -n golangci-lint >/dev/null && $(TOOL) -n govulncheck >/dev/null && \
	  scripts/vulndb.sh >/dev/null; } >"$$go_log" 2>&1 & go_setup=$$!; \
	sys_ok=0; { scripts/e2e-setup.sh && scripts/tls-setup.sh && scripts/ops-setup.sh && $(SERVICES) install; } || sys_ok=$$?; \
	go_ok=0; wait $$go_setup || go_ok=$$?; \
	cat "$$go_log"; rm -f "$$go_log"; \
	if [ $$sys_ok -ne 0 ] || [ $$go_ok -ne 0 ]; then echo "make setup: failed (see above)" >&2; exit 1; fi
	@$(if $(filter test,$(MAKECMDGOALS)),:,scripts/test.sh build >/dev/null 2>&1 || echo "make setup: some test binaries did not build; make test will say which")

# The phases and why they overlap: scripts/test.sh. The end-to-end packages
# run without the race detector (under -race they took 12 minutes of a 2-core
# machine; their journeys are covered for races by the packages below them),
# and so do the unit packages that start no goroutines (scripts/test.sh list).
test: setup
	scripts/test.sh

# The page-level browser checks (scripts/pages.sh): axe-core and screenshots
# against e2e/baselines/ on a phone and a desktop, Lighthouse with its floor
# (lighthouse.out) and the journeys. make test runs Lighthouse alone at the
# end, on a quiet machine: its timings are the page's, not a busy CPU's.
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

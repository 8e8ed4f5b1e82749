# xborder — audits cross-border transfers of personal data against Korea's PIPA.
# `make help` lists the targets. `make test` is exactly what CI runs.

SHELL        := bash
.SHELLFLAGS  := -eu -o pipefail -c
GO           ?= go
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X github.com/xborder/xborder/internal/cli.version=$(VERSION)
BIN          := bin/xborder
OPA_VERSION  := v1.22.2
OPA          := $(GO) run github.com/open-policy-agent/opa@$(OPA_VERSION)
DEMO         := fixtures/kakaopay-alipay
REGO_COVERAGE := 95# percent of policy lines the Rego tests must evaluate (make test fails under it)
export CGO_ENABLED := 1

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/xborder with the version stamped in
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/xborder

.PHONY: demo
demo: build ## audit the Kakao Pay → Alipay fixture into out/ (database, report.html, report.pdf, report.json) and print the summary
	rm -rf out && mkdir -p out
	code=0; ./$(BIN) audit --manifests $(DEMO)/manifests --logs $(DEMO)/logs --as-of 2024-03-08 \
		--db out/xborder.db --report out/ || code=$$?; \
	echo; echo "exit code $$code (1 = findings at or above high, as expected for this fixture)"; \
	echo "reports: out/report.html out/report.pdf out/report.json; history: out/xborder.db"; \
	[ $$code -eq 1 ]

.PHONY: test
test: tools lint ## run every test: Go (unit, golden, CLI, fuzz seeds), Rego (coverage gate, OPA CLI) — what CI runs
	$(GO) test -count=1 ./...
	$(GO) run ./cmd/xborder policy test --coverage --threshold $(REGO_COVERAGE)
	$(OPA) check --strict policies/lib policies/data policies/rules
	$(OPA) test policies/lib policies/data policies/rules

.PHONY: lint
lint: ## gofmt, go vet and opa fmt must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^fixtures/.*/testdata/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@out=$$($(OPA) fmt -l policies); if [ -n "$$out" ]; then echo "opa fmt needed:"; echo "$$out"; exit 1; fi

.PHONY: bench
bench: build tools bench-deps ## print the benchmark table (throughput, RSS, baselines) in one run; BENCHFLAGS=-only=check for one section
	$(GO) run ./internal/bench $(BENCHFLAGS)

# DuckDB, the baseline a data engineer would pick, runs through its npm
# package in the git-ignored .bench/: a benchmark tool, never a dependency
# of xborder. The stamp file reinstalls it when the pinned version changes.
DUCKDB_NODE := 1.5.6-r.1
DUCKDB_STAMP := .bench/node_modules/.duckdb-node-api-$(DUCKDB_NODE)

.PHONY: bench-deps
bench-deps: $(DUCKDB_STAMP) ## install the benchmark's DuckDB baseline (@duckdb/node-api) into .bench/

$(DUCKDB_STAMP):
	mkdir -p .bench
	npm install --prefix .bench --no-save --no-package-lock --no-audit --no-fund @duckdb/node-api@$(DUCKDB_NODE)
	touch $@

.PHONY: fuzz
# Minimising each new input for Go's default 60 s stalled the targets whose
# inputs are costly (FuzzParseMapping compiles CEL: 22 interesting inputs in
# a minute, against 244 in 40 s with 2 s of minimising).
fuzz: ## run every fuzz target for FUZZTIME each (default 30s); a failure is reported, the rest still run
	@n=0; failed=(); \
	for pkg in $$($(GO) list ./...); do \
	  list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; exit 1; }; \
	  for t in $$(grep '^Fuzz' <<<"$$list" || true); do \
	    n=$$((n+1)); echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} -fuzzminimizetime $${FUZZMINIMIZETIME:-5s} $$pkg || failed+=("$$pkg $$t"); \
	  done; done; \
	echo "$$n fuzz target(s) run for $${FUZZTIME:-30s} each"; \
	if [ $${#failed[@]} -gt 0 ]; then printf 'FAILED: %s\n' "$${failed[@]}"; \
	  echo "(failing inputs are in the packages' testdata/fuzz/: go test runs them as seeds)"; exit 1; fi

.PHONY: docs
docs: build ## regenerate docs/rules.md from the rules' METADATA
	./$(BIN) rules --format markdown > docs/rules.md

.PHONY: tools
# Each entry is "a file that shows it is installed:the Debian package". The
# report tests read PDFs back with poppler (pdftotext, pdffonts), check them
# with qpdf and render the HTML report in headless chromium; fonts-nanum is
# only the source of reports/fonts/ (see `make fonts`): tests use the
# committed copy. The history tests edit a database behind xborder's back
# with the sqlite3 CLI to show that `verify --db` notices.
TOOLS := jq:jq pdftotext:poppler-utils pdffonts:poppler-utils qpdf:qpdf chromium:chromium \
	/usr/share/fonts/truetype/nanum/NanumGothic.ttf:fonts-nanum sqlite3:sqlite3

tools: ## install what the tests need from Debian's packages (root: apt-get) when missing
	@need=(); for t in $(TOOLS); do cmd=$${t%%:*}; pkg=$${t##*:}; \
	  if [[ $$cmd == /* ]]; then [ -e "$$cmd" ] || need+=($$pkg); else command -v $$cmd >/dev/null || need+=($$pkg); fi; done; \
	if [ $${#need[@]} -gt 0 ]; then echo "installing $${need[*]}"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${need[@]}" >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${need[@]}" >/dev/null; fi; fi

.PHONY: fonts
fonts: tools ## refresh reports/fonts/ (the PDF's embedded NanumGothic) from Debian's fonts-nanum
	cp /usr/share/fonts/truetype/nanum/NanumGothic.ttf /usr/share/fonts/truetype/nanum/NanumGothicBold.ttf reports/fonts/
	@echo "check reports/fonts/OFL.txt still matches /usr/share/doc/fonts-nanum/copyright, then run go test ./reports -update"

.PHONY: clean
clean: ## remove build and demo outputs
	rm -rf bin out

# Makefile: the one entry point for building, running, testing and linting JusB Portal.
# `make help` lists the targets.
#
# Settings come from the command line, then the environment, then .env when it exists
# (copy .env.example), as they do for the portal itself, which reads .env too. Write .env
# as NAME=value lines, without comments after a value; quotes around a value are dropped,
# and a $ is taken literally.
#
# Without DATABASE_URL, the targets that need a database start a PostgreSQL cluster of
# this checkout's own (db/local-postgres.sh) and use its database portal. Without
# TEST_DATABASE_URL, `make test` uses that cluster's postgres database as the admin URL
# from which the tests create their throwaway databases.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

# .env becomes .data/env.mk, a list of NAME ?= value lines, so that the command line and
# the environment win over it; make rewrites that file whenever .env changes.
ifneq ($(wildcard .env),)
include .data/env.mk
export $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env)
endif

ADDR ?= 127.0.0.1:8080
LOCAL_PG_PORT ?= 55432
LOCAL_PG := db/local-postgres.sh

# Unset database URLs point at the local cluster. DB_UP and TEST_DB_UP name the target
# that starts it when a URL points there (also in a sub-make, which inherits the URLs).
LOCAL_DB_URL := $(shell LOCAL_PG_PORT=$(LOCAL_PG_PORT) $(LOCAL_PG) url portal)
LOCAL_ADMIN_URL := $(shell LOCAL_PG_PORT=$(LOCAL_PG_PORT) $(LOCAL_PG) url postgres)
ifeq ($(strip $(DATABASE_URL)),)
DATABASE_URL := $(LOCAL_DB_URL)
endif
ifeq ($(strip $(TEST_DATABASE_URL)),)
TEST_DATABASE_URL := $(LOCAL_ADMIN_URL)
endif
DB_UP := $(if $(filter $(LOCAL_DB_URL),$(DATABASE_URL)),db-start)
TEST_DB_UP := $(if $(filter $(LOCAL_ADMIN_URL),$(TEST_DATABASE_URL)),db-start)

# CHROMIUM_PATH defaults to the first of these browsers found on PATH; the browser tests
# skip themselves when it is empty.
ifeq ($(strip $(CHROMIUM_PATH)),)
CHROMIUM_PATH := $(firstword $(foreach b,chromium chromium-browser google-chrome,\
	$(firstword $(wildcard $(addsuffix /$(b),$(subst :, ,$(PATH)))))))
endif

export ADDR LOCAL_PG_PORT DATABASE_URL TEST_DATABASE_URL CHROMIUM_PATH

# The code generators and linters live in their own module, tools/go.mod, so that their
# dependencies stay out of the application's. sqlc builds without cgo (a WebAssembly
# parser replaces the C one), which is quicker and needs no C compiler.
GO_TOOL := go tool -modfile=tools/go.mod
SQLC := CGO_ENABLED=0 $(GO_TOOL) sqlc
TEMPL := $(GO_TOOL) templ
STATICCHECK := $(GO_TOOL) staticcheck
DBMATE := node_modules/.bin/dbmate --migrations-dir db/migrations
TAILWIND := node_modules/.bin/tailwindcss
NPM_STAMP := node_modules/.npm-ci.stamp

# FIND_GO and FIND_TEMPL list the application's Go files (generated ones included) and
# templ files. templ itself skips node_modules and dot directories in the same way.
FIND_GO := find . -name '*.go' -not -path './node_modules/*' -not -path './tools/*' \
	-not -path './.*'
FIND_TEMPL := find . -name '*.templ' -not -path './node_modules/*' -not -path './.*'

# The generated files that are committed, and so must match their sources.
GENERATED_DIRS := db components static

.PHONY: help tools css generate migrate migrate-new run build test lint schema-check fmt \
	hooks db-start db-stop db-status psql clean clean-data

# env.mk keeps the NAME=value lines of .env, unquoted, with each $ doubled for make.
.data/env.mk: .env
	@mkdir -p .data
	@sed -n -e 's/\$$/$$$$/g' -e 's/^\([A-Za-z_][A-Za-z0-9_]*\)=/\1 ?= /' \
		-e "s/ ?= \"\(.*\)\"$$/ ?= \1/" -e "s/ ?= '\(.*\)'$$/ ?= \1/" \
		-e '/^[A-Za-z_][A-Za-z0-9_]* ?= /p' .env >$@

## help: list the targets
help:
	@sed -n 's/^## \([^:]*\): /\1\t/p' $(firstword $(MAKEFILE_LIST)) | expand -t 16

## tools: install the npm packages (when package-lock.json changed) and the Go modules
tools: $(NPM_STAMP)
	go mod download
	cd tools && go mod download

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## css: build static/css/app.css with Tailwind and copy htmx into static/js
css: $(NPM_STAMP)
	$(TAILWIND) -i static/css/input.css -o static/css/app.css --minify
	cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js
	cp node_modules/htmx.org/dist/ext/hx-sse.min.js static/js/hx-sse.min.js

## generate: regenerate the templ views, the sqlc queries and the static assets
generate: $(NPM_STAMP)
	$(TEMPL) generate -log-level warn
	$(SQLC) generate
	$(MAKE) css

## migrate: apply new migrations to DATABASE_URL (creating it) and rewrite db/schema.sql
migrate: $(NPM_STAMP) $(DB_UP)
	$(DBMATE) --url "$$DATABASE_URL" --schema-file db/schema.sql up

## migrate-new: create an empty migration: make migrate-new NAME=add_thread_index
migrate-new: $(NPM_STAMP)
	@test -n "$(NAME)" || { echo "usage: make migrate-new NAME=what_it_does" >&2; exit 2; }
	$(DBMATE) new "$(NAME)"

## run: migrate, load the demo data and serve the portal on ADDR
run: tools css migrate
	go run ./cmd/portal seed-demo
	go run ./cmd/portal serve

## build: build the server into bin/portal
build:
	go build -o bin/portal ./cmd/portal

## test: run every test, the database and browser tests included
test: tools css $(TEST_DB_UP)
	@if [[ -z "$${CHROMIUM_PATH:-}" ]]; then \
		echo "note: no chromium found on PATH, so the browser tests will skip"; fi
	go test -count=1 ./...

## lint: gofmt, vet, staticcheck, templ fmt, sqlc vet and diff, generated files current
lint: tools
	@echo "gofmt -l"
	@unformatted=$$($(FIND_GO) -print0 | xargs -0 -r gofmt -l); \
	if [[ -n "$$unformatted" ]]; then \
		printf 'gofmt: these files need formatting (make fmt):\n%s\n' "$$unformatted"; \
		exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	@echo "templ fmt (check only)"
	@templ=$$($(GO_TOOL) -n templ); bad=; \
	for f in $$($(FIND_TEMPL) | sort); do \
		"$$templ" fmt -log-level warn -stdout "$$f" | cmp -s - "$$f" || bad="$$bad $$f"; \
	done; \
	if [[ -n "$$bad" ]]; then \
		echo "templ fmt: these files need formatting (make fmt):$$bad"; exit 1; fi
	$(MAKE) generate
	@echo "git diff --exit-code -- $(GENERATED_DIRS)"
	@git diff --exit-code --stat -- $(GENERATED_DIRS) || { \
		echo "generated files differ from their sources: run make generate, commit the result"; \
		exit 1; }
	@new=$$(git ls-files --others --exclude-standard -- $(GENERATED_DIRS)); \
	if [[ -n "$$new" ]]; then \
		printf 'files not yet known to git (git add them):\n%s\n' "$$new"; exit 1; fi
	$(SQLC) vet
	$(SQLC) diff
	$(MAKE) schema-check

## schema-check: check db/schema.sql matches a fresh migration (ignores pg_dump versions)
schema-check: $(NPM_STAMP) $(TEST_DB_UP)
	@command -v pg_dump >/dev/null || { \
		echo "pg_dump not found: install the PostgreSQL client (postgresql-client)"; exit 1; }
	@test -f db/schema.sql || { echo "db/schema.sql is missing: run make migrate"; exit 1; }
	@url=$$(sed -E 's#^([a-z]+://[^/?]*)(/[^?]*)?#\1/portal_schema_check#' \
		<<<"$$TEST_DATABASE_URL"); \
	dump=$$(mktemp); trap 'rm -f "$$dump"' EXIT; \
	$(DBMATE) --url "$$url" drop >/dev/null 2>&1 || true; \
	$(DBMATE) --url "$$url" --schema-file "$$dump" up >/dev/null; \
	$(DBMATE) --url "$$url" drop >/dev/null; \
	diff -u -I '^-- Dumped \(from\|by\) ' db/schema.sql "$$dump" || { \
		echo "db/schema.sql is stale: run make migrate and commit it"; exit 1; }
	@echo "db/schema.sql matches the migrations"

## fmt: format the Go code and the templ files
fmt:
	$(FIND_GO) -exec gofmt -w {} +
	$(TEMPL) fmt -log-level warn .

## hooks: use .githooks, whose pre-commit hook runs make lint
hooks:
	git config core.hooksPath .githooks

## db-start: start the local PostgreSQL cluster (created on first use)
db-start:
	@$(LOCAL_PG) start

## db-stop: stop the local PostgreSQL cluster
db-stop:
	@$(LOCAL_PG) stop

## db-status: say whether the local PostgreSQL cluster runs
db-status:
	@$(LOCAL_PG) status

## psql: open psql on DATABASE_URL
psql: $(DB_UP)
	psql "$$DATABASE_URL"

## clean: remove build output (bin/); the database stays
clean:
	rm -rf bin coverage.out coverage.html

## clean-data: stop the local cluster and delete it with all its data
clean-data:
	$(LOCAL_PG) destroy
	rm -rf .data

# Convenience targets; the README's two commands are the source of truth.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/sti-target

.PHONY: test serve bench fmt lint lambda-arm64 sam-build deploy-widget

test:            ## the whole suite, as CI runs it
	./scripts/test

serve:           ## the whole system locally on http://127.0.0.1:3000
	cargo run --release --bin sti -- serve

bench:           ## criterion benchmarks of the pure core (mask_pii, conversation engine)
	cargo bench -p sti-shared --bench domain

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

lambda-arm64:    ## the deploy build: every function for arm64, release, AWS backend only; prints sizes
	./scripts/lambda-build

sam-build:       ## sam build of the whole stack for arm64 (offline once crates are fetched; ~15 min cold)
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 \
	  sam build --config-env dev --beta-features

STAGE ?= dev
deploy-widget:   ## after `sam deploy`: upload widget/ to the stage's bucket and invalidate CloudFront (STAGE=dev|staging|prod)
	./scripts/deploy-widget $(STAGE)

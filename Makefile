# kd: knowledge distillation on the CPU. `make demo` and `make test` are the quick start.
SWIFT ?= swift
CONFIG ?= Configs/demo.yaml

.PHONY: bootstrap build release test report-check lint format demo fixtures fuzz clean
FUZZ_SECONDS ?= 600

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

## Runs the whole test suite (what CI runs), then the report's check in a real browser.
test: bootstrap
	$(SWIFT) test
	@scripts/report-check.sh

## Renders a small run's report.html, opens it in headless Chromium and fails on a console
## message or a blank screenshot (.build/report-check/report.png); see scripts/report-check.sh.
report-check: bootstrap
	@scripts/report-check.sh

## Lint: the toolchain's `swift format` in strict mode with .swift-format, over every Swift file.
## The rules (see .swift-format): 4-space indents and 120 columns (the width the code was written
## to; lines stay readable side by side with a diff); NeverUseForceTry, since a user's bad input must
## never reach a trap; OrderedImports; the default naming, semicolon, parenthesis and
## trailing-comma rules. Left off: NeverForceUnwrap (the hot loops unwrap buffer base addresses
## that cannot be nil), AllPublicDeclarationsHaveDocumentation and the one-line-summary rule (doc
## comments here often lead with the formula and shapes in one paragraph, as NN/Losses does).
LINT_PATHS = Sources Tests Fuzz/Sources Package.swift Fuzz/Package.swift
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(LINT_PATHS)

## Rewrites the Swift files in place to the lint's layout.
format:
	$(SWIFT) format format --in-place --recursive --parallel $(LINT_PATHS)

## Trains the demo teacher, distills the student on Fashion-MNIST, prints the comparison and
## ends with the path of the run's report.html.
demo: release
	$$($(SWIFT) build -c release --show-bin-path)/kd distill --config $(CONFIG) --force

## Regenerates Tests/Fixtures from PyTorch (needs network for pip; not run by CI).
fixtures:
	python3 -m venv .venv
	.venv/bin/pip install -q torch==2.15.0 safetensors==0.8.0 numpy
	.venv/bin/python Tests/Fixtures/generate_fixtures.py

## Builds the libFuzzer targets (Fuzz/) and runs each parser fuzzer for FUZZ_SECONDS, one after another.
fuzz: bootstrap
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build

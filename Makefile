# kd: knowledge distillation on the CPU. `make demo` and `make test` are the quick start.
SWIFT ?= swift
CONFIG ?= Configs/demo.yaml

.PHONY: bootstrap build release test demo fixtures fuzz clean
FUZZ_SECONDS ?= 600

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

## Runs the whole test suite (what CI runs).
test: bootstrap
	$(SWIFT) test

## Trains the demo teacher, distills the student on Fashion-MNIST and prints the comparison.
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

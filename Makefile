.PHONY: setup demo test fixtures fuzz bench

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# Rewrites Fixtures/png, Fixtures/jpeg and Fixtures/bad (needs cc and libjpeg-dev).
fixtures:
	python3 Fixtures/generate.py

# libFuzzer over each decoder; FUZZ_SECONDS per target (default 600).
fuzz:
	bash Fuzz/run.sh

bench:
	bash Benchmarks/decode.sh

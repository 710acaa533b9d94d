# The two commands a new user needs: `make demo` and `make test`. Both set up first.
PY := .venv/bin/python
ASTRONAUT = $$($(PY) -c 'import skimage.data, os; print(os.path.join(os.path.dirname(skimage.data.__file__), "astronaut.png"))')

.PHONY: setup neural-voices test demo lint bench wheel clean

setup:
	@bash scripts/setup.sh

# Optional: the neural Kokoro voices of the synthetic corpus (`--voices neural`; about 200 MB)
neural-voices:
	@bash scripts/neural_voices.sh

test: setup
	$(PY) -m ruff check lipglance tests benchmarks
	$(PY) -m mypy
	$(PY) -m pytest

demo: setup
	$(PY) -m lipglance generate --audio lipglance/assets/sample.wav --image "$(ASTRONAUT)" -o demo.mp4
	@echo "demo video: $(CURDIR)/demo.mp4"

lint: setup
	$(PY) -m ruff check lipglance tests benchmarks
	$(PY) -m mypy

bench: setup
	$(PY) benchmarks/bench_presets.py

# The wheel `pip install` takes until a release is on the package index (README, "Install with pip"); needs no .venv.
wheel:
	rm -rf build dist/lipglance-*.whl
	python3 -m pip wheel --no-deps --wheel-dir dist .
	@echo "wheel: $$(ls $(CURDIR)/dist/lipglance-*.whl)"

clean:
	rm -rf .venv demo.mp4 .pytest_cache .mypy_cache .ruff_cache build dist

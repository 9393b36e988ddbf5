# The two commands of the README do all set-up themselves: `make test` and `make app`.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: test app docs-images lint format setup weights ensemble clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# pyproject.toml asks for ranges; constraints.txt pins what these machines install (torch: the CPU wheel on disk)
$(STAMP): $(VENV)/bin/python pyproject.toml constraints.txt
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[app,test,geotiff]'
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q

# the port is panel's --port (or --port=) in ARGS, 5006 if none: the URL printed is the one served
app: $(STAMP)
	@port=$$(printf ' %s ' "$(ARGS)" | sed -n 's/.* --port[= ]*\([0-9][0-9]*\).*/\1/p'); \
	echo "deepcams dashboard: open http://localhost:$${port:-5006}/app (extra data: make app ARGS='--args --data DIR')"
	$(VENV)/bin/panel serve app $(ARGS)

# `make test` writes its screenshots to tests/artifacts (git-ignored); this refreshes the README's images
docs-images: $(STAMP)
	DEEPCAMS_SCREENSHOTS=docs/img $(VENV)/bin/python -m pytest -q tests/test_app_browser.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# the shipped model weights, trained on the real sample's training bands plus the synthetic world (docs/model-card.md);
# the shipped T-SR is the mean of the ensemble members' T-SR, so their T-SR members 1 .. 4 are trained too
weights: $(STAMP)
	nice -n 10 $(VENV)/bin/python scripts/train_weights.py
	nice -n 10 $(VENV)/bin/python scripts/train_ensemble.py --stages tsr

# the deep ensemble's members 1 .. 4 (member 0 is `make weights`) and its spread calibration (docs/model-card.md)
ensemble: $(STAMP)
	nice -n 10 $(VENV)/bin/python scripts/train_ensemble.py
	$(VENV)/bin/python scripts/evaluate_ensemble.py --write

clean:
	rm -rf $(VENV) build *.egg-info

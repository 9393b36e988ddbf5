# The two commands of the README do all set-up themselves: `make test` and `make app`.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: test app lint format setup weights clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[app,test]'
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q

app: $(STAMP)
	@echo "deepcams dashboard: open http://localhost:5006/app (extra data: make app ARGS='--args --data DIR')"
	$(VENV)/bin/panel serve app $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# the shipped model weights, trained on the real sample's training bands plus the synthetic world (docs/model-card.md)
weights: $(STAMP)
	nice -n 10 $(VENV)/bin/python scripts/train_weights.py

clean:
	rm -rf $(VENV) build *.egg-info

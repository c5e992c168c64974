# deepcluster_nb: `make demo` runs the main job offline, `make test` runs the whole test suite.
# Both create .venv on first use and install what they need into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The torch build. These machines take the pinned pair from their local wheel store (a CUDA build that
# also runs on CPU). On another machine pick the build for your hardware, e.g. `make TORCH="torch torchvision"`.
TORCH  ?= torch==2.14.1 torchvision==0.29.1
# faiss: faiss-cpu by default; `make FAISS=faiss-gpu-cu12` swaps in the GPU build (it also runs on CPU).
# To change TORCH or FAISS after a first install, remove .venv first.
FAISS  ?= faiss-cpu
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow lab export docs readme student
install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[dev]'
	if [ "$(FAISS)" != "faiss-cpu" ]; then $(BIN)/python -m pip uninstall -q -y faiss-cpu && $(BIN)/python -m pip install -q $(FAISS); fi
	touch $@

demo: install
	mkdir -p runs
	$(BIN)/papermill nbs/80_cifar10_k_sweep.ipynb runs/k_sweep.ipynb --cwd nbs --log-level WARNING --no-progress-bar --stdout-file /dev/stdout
	@echo "demo: wrote runs/k_sweep.ipynb and, in runs/k_sweep/, k_sweep.csv, summary.json, the figures and one run per k"

test: install
	$(BIN)/ruff check .
	$(BIN)/nbdev-export
	git diff --exit-code --stat -- deepcluster_nb || (echo "deepcluster_nb/ differs from the notebooks: run nbdev-export and commit" && exit 1)
	test -z "$$(git status --porcelain -- deepcluster_nb)" || (git status --short -- deepcluster_nb; echo "untracked exports: commit them" && exit 1)
	$(BIN)/python docs/make_readme.py --check
	$(BIN)/python docs/lesson_shape.py
	OMP_NUM_THREADS=$$(( ($$(getconf _NPROCESSORS_ONLN) + 1) / 2 )) $(BIN)/nbdev-test --n-workers 2 --timing
	$(BIN)/python -m pytest -n 2 --dist worksteal -q --durations=15   # test_docs.py builds the site from nbs/ (-W) and checks it

# JupyterLab on nbs/ with the kit's environment: the notebooks' kernel (python3) is this .venv's Python, also when
# another python3 kernel is installed for the user (JUPYTER_PREFER_ENV_PATH puts .venv's kernels first).
lab: install
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (deepcluster_nb)" >/dev/null
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab --notebook-dir=nbs $(LAB_ARGS)

test-slow: install
	$(BIN)/python -m pytest -q -m slow

export: install
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

# The offline docs site (Sphinx + myst-nb) in _site/html/: warnings are errors (broken links, missing images), and a
# notebook saved with an error fails it. EXECUTE=force re-runs the lesson notebooks first (nbdev-docs needs quarto);
# API=off leaves the API reference out, a build in seconds while writing a lesson.
EXECUTE ?= off
API     ?= on
SPHINX  = EXECUTE=$(EXECUTE) API=$(API) $(BIN)/sphinx-build -W --keep-going -q -b html -c docs nbs _site/html
docs: install
	rm -rf _site/html
	$(SPHINX)
	@echo "docs: open _site/html/index.html"

# README.md from nbs/index.ipynb (nbdev-readme does the same where quarto is installed)
readme: install
	$(BIN)/python docs/make_readme.py

# copies of the notebooks without the exercise solutions, to hand out
student: install
	$(BIN)/python docs/student.py --out student

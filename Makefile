# cot_nb: set-up, tests and the reproduction. `make help` lists the targets.
#
# Every target that needs Python first bootstraps .venv (the stamp file .venv/.installed, which is
# rebuilt whenever settings.ini or setup.py changes). The pins live in settings.ini only.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := $(VENV)/share/jupyter/kernels/cot_nb/kernel.json
# python3.11 if it runs, else python3 (checked below to be >= 3.11)
PYTHON ?= $(shell python3.11 -c '' >/dev/null 2>&1 && echo python3.11 || echo python3)
# torch is installed first, from its pin in settings.ini: an unpinned torch would pull a multi-GB CUDA build
TORCH_PIN := $(shell sed -n 's/^requirements *= *//p' settings.ini | tr ' ' '\n' | grep '^torch==')

# The data folder (never copied into the repository); override with `make test COT_NB_DATA=/path`.
COT_NB_DATA ?= $(abspath ../shared/data)
export COT_NB_DATA

# Tests: notebooks run in parallel, one process per worker, each with TEST_THREADS torch threads.
# Measured here (4 small LSTM-training notebooks, 2 shared cores): 2 workers x 1 thread took 42-62 s,
# 2 workers x torch's default 2 threads 129-413 s, 1 worker x 2 threads 118 s.
N_WORKERS ?= 2
TEST_THREADS ?= 1
# glibc: keep freed memory instead of returning it to the OS, so large tensors stop page-faulting
# (DESIGN.md; on the same 4 notebooks 34-37 s against 39-53 s without).
MALLOC_ENV := MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=1073741824
# --do_print: a line as each notebook starts and ends, so a 4-minute run shows where it is; PYTHONUNBUFFERED
# makes the workers print those lines at once when the output goes to a pipe or a log (CI), not at the end.
# NB=nbs/03_metrics.ipynb tests one notebook (NB=nbs/experiments: one folder); FLAGS=slow also runs the cells flagged `#| slow`.
NB    ?=
FLAGS ?=
PROFILE ?= auto
REPRODUCE_ARGS ?=
LAB_ARGS ?=

.PHONY: help venv test reproduce export readme figures lab clean distclean

help:
	@echo "make reproduce  the whole reproduction (cot_nb reproduce --profile $(PROFILE) $(REPRODUCE_ARGS), e.g. REPRODUCE_ARGS=\"--workers 1 --threads 2\"); creates .venv if missing"
	@echo "make test       nbdev_test over every notebook (NB=..., FLAGS=slow, N_WORKERS=$(N_WORKERS)); creates .venv if missing"
	@echo "make venv       create .venv with the pinned dependencies and register the 'Python (cot_nb)' kernel inside it"
	@echo "make export     nbdev_export (notebooks -> cot_nb/) and nbdev_clean"
	@echo "make readme     render README.md from nbs/index.ipynb"
	@echo "make figures    redraw figures/ (Figure 1, the CoT loop)"
	@echo "make lab        start JupyterLab in .venv"
	@echo "make clean      remove build and cache files (distclean: also .venv)"
	@echo "COT_NB_DATA=$(COT_NB_DATA)"

venv: $(KERNEL)

$(STAMP): settings.ini setup.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"cot_nb needs Python >= 3.11, $(PYTHON) is {sys.version.split()[0]}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(if $(TORCH_PIN),$(BIN)/python -m pip install "$(TORCH_PIN)")
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

# The kernel spec goes inside .venv (--sys-prefix), not into the user's folder, where every clone would
# register the same name and the last one would silently take it over. Its own target, so an existing
# .venv gets it too. Tests and papermill use the venv's own `python3` kernel, not this one.
$(KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name cot_nb --display-name "Python (cot_nb)"

test: venv
	@[ -d "$(COT_NB_DATA)" ] || echo "warning: COT_NB_DATA=$(COT_NB_DATA) is not a folder: notebooks that need data will try to download it" >&2
	$(MALLOC_ENV) OMP_NUM_THREADS=$(TEST_THREADS) PYTHONUNBUFFERED=1 $(BIN)/nbdev_test --n_workers $(N_WORKERS) --timing --do_print $(if $(NB),--path "$(NB)") $(if $(FLAGS),--flags "$(FLAGS)")
	@$(BIN)/python -c "from nbdev.doclinks import nbglob; \
	fs = [f for f in nbglob($(if $(NB),'$(NB)',None), as_path=True) if not (f.parent/'.notest').exists()]; \
	print(f'nbdev_test: {len(fs)} passed, 0 failed')"

reproduce: venv
	@[ -d "$(COT_NB_DATA)" ] || echo "warning: COT_NB_DATA=$(COT_NB_DATA) is not a folder: notebooks that need data will try to download it" >&2
	$(MALLOC_ENV) $(BIN)/cot_nb reproduce --profile $(PROFILE) $(REPRODUCE_ARGS)

export: venv
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

readme: venv
	$(BIN)/python -c "from cot_nb.project import render_readme; print('wrote', render_readme())"

figures: venv
	$(BIN)/python -c "from cot_nb.project import draw_cot_loop; print('wrote', *draw_cot_loop())"

lab: venv
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean:
	rm -rf _proc _docs build dist *.egg-info
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

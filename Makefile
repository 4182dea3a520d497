# Two commands do all the set-up on a fresh machine:
#   make demo   installs what is missing, then runs the main job
#   make test   installs what is missing, then runs ruff and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# torch's spin-waiting threads collapse throughput on a shared 2-core machine.
export OMP_WAIT_POLICY = PASSIVE

.PHONY: install demo test lint bench clean packaged-kits system-deps system-kits

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The main job: transcribe the shipped example loop with the shipped default model
# (tempo-mapped MIDI on the 1/16 grid, CSV, JSON, a plot, a drum score and an HTML
# page in demo-output/), then score it against its labels.
demo: install
	$(BIN)/drummernet transcribe drummernet/examples/gmd-rock-100bpm.flac \
	    --out-dir demo-output --format mid csv json png musicxml html --quantize 1/16 --overwrite
	$(BIN)/drummernet evaluate drummernet/examples

lint: install
	$(BIN)/ruff check drummernet tests bench scripts
	$(BIN)/ruff format --check drummernet tests bench scripts

test: install lint
	$(BIN)/pytest

# Measured numbers (dated JSON in bench/results): accuracy beside NMFD, peak-picking
# variants, transcription speed and memory for 1 and 60 minutes, training throughput
# per preset, and the full-mix check on drums alone and on rendered songs.
bench: install
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/peak_picking.py
	$(BIN)/python bench/transcribe_speed.py
	$(BIN)/python bench/train_step.py
	$(BIN)/python bench/full_mix.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

# Maintainers only: regenerate the kits shipped inside the package (FluidR3, MIT).
packaged-kits: install
	$(BIN)/python -c "from drummernet.kits.builders import build_system_kits as b; \
	[print(k.name, k.path) for k in b('drummernet/kits/data', hydrogen=False, velocities=(98,))]"

# Debian packages with real drum kits, DrumSynth presets (lmms-common), the SoundFont
# renderer, the SoundFonts the band is rendered through (drummernet/datasets/
# accompaniment.py), and the clients the outputs are tested in: the browser (HTML page) and MuseScore 3 (drum score) (needs root).
system-deps:
	command -v fluidsynth >/dev/null && test -d /usr/share/hydrogen/data/drumkits && \
	  command -v chromium >/dev/null && command -v mscore3 >/dev/null && \
	  test -f /usr/share/sounds/sf2/TimGM6mb.sf2 && test -f /usr/share/sounds/sf2/OPL-3_FM_128M.sf2 && \
	  test -x /usr/bin/time && test -d /usr/share/lmms/samples/drumsynth || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	   --no-install-recommends fluidsynth fluid-soundfont-gm hydrogen-drumkits chromium \
	   musescore3 musescore-general-soundfont-small timgm6mb-soundfont opl3-soundfont time \
	   lmms-common)

# Build every kit found on this machine into the user kit folder.
system-kits: install system-deps
	$(BIN)/drummernet kits build system

"""Every example of the README runs as written.

Python blocks run in a fresh interpreter in a folder holding what they name
(``song.wav``: the example loop; ``audio/``: one short file; ``drummernet/examples``);
command lines without placeholders must parse with the real argument parser.
"""

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drummernet.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
EXAMPLE = ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def command_lines() -> list[str]:
    """``drummernet ...`` lines of the shell blocks that are commands, not synopses
    (no ``[optional]``, ``a|b``, ``{choices}`` or ``...``), comments removed."""
    text = "\n".join(blocks("sh")).replace("\\\n", " ")
    lines = [line.split("  #")[0].strip() for line in text.splitlines()]
    return [line for line in lines if line.startswith("drummernet ")
            and not re.search(r"[\[\]|{}]|\.\.\.", line)]  # fmt: skip


def test_the_readme_has_examples_to_test():
    assert len(blocks("python")) >= 1 and len(command_lines()) >= 5


@pytest.mark.parametrize("line", command_lines())
def test_readme_command_line_parses(line):
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert callable(args.func)


def test_readme_python_examples_run_as_written(tmp_path):
    import soundfile as sf

    audio, rate = sf.read(EXAMPLE)
    sf.write(tmp_path / "song.wav", audio, rate)
    (tmp_path / "audio").mkdir()
    sf.write(tmp_path / "audio" / "take.flac", audio[: 6 * rate], rate)
    shutil.copytree(EXAMPLE.parent, tmp_path / "drummernet" / "examples")
    for i, code in enumerate(blocks("python")):
        script = tmp_path / f"readme_block_{i}.py"
        script.write_text(code)
        # -P: the folder's drummernet/examples must not shadow the installed package
        result = subprocess.run([sys.executable, "-P", script.name], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)  # fmt: skip
        assert result.returncode == 0, f"README python block {i}:\n{result.stderr[-3000:]}"


def _readme_commands():
    """scripts/readme_commands.py as a module (scripts/ is not a package)."""
    path = ROOT / "scripts" / "readme_commands.py"
    spec = importlib.util.spec_from_file_location("readme_commands", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_readme_size_rule_still_applies():
    """scripts/readme_commands.py shrinks the README's sizes by rules; each must match
    (a README edit that drops one would otherwise run a block for hours)."""
    commands = _readme_commands()
    script = commands.readme_script(README)
    assert not re.search(r"^make ", script, flags=re.M) and ". .venv/bin/activate" in script
    assert "--max-minutes 10" not in script


SHARED = ROOT.parent / "shared" / "data"
NEEDS = {
    "the Hydrogen kits (make system-deps)": Path("/usr/share/hydrogen/data/drumkits").is_dir(),
    "fluidsynth (make system-deps)": shutil.which("fluidsynth") is not None,
    "the band's SoundFonts (make system-deps)": all(
        Path(f"/usr/share/sounds/{f}").is_file()
        for f in ("sf2/TimGM6mb.sf2", "sf2/OPL-3_FM_128M.sf2", "sf2/FluidR3_GM.sf2")
    ),
    "../shared/data/groove-midi": (SHARED / "groove-midi").is_dir(),
    "../shared/data/mdb-drums-dev": (SHARED / "mdb-drums-dev").is_dir(),
    "the project's .venv (make test)": (ROOT / ".venv" / "bin" / "activate").is_file(),
}


@pytest.mark.skipif(not all(NEEDS.values()),
                    reason="needs " + ", ".join(k for k, v in NEEDS.items() if not v))  # fmt: skip
def test_readme_shell_blocks_run_as_pasted():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_commands.py")],
                            capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    assert "Traceback" not in result.stderr, result.stderr[-4000:]

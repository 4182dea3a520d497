"""Every example of the README runs as written.

Python blocks run in a fresh interpreter in a folder holding what they name
(``song.wav``: the example loop; ``audio/``: one short file; ``drummernet/examples``);
command lines without placeholders must parse with the real argument parser.
"""

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

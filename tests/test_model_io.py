import errno
import os

import pytest
import torch

from drummernet.config import get_preset
from drummernet.errors import ModelFileError
from drummernet.model import AnalysisNetwork, load_model, save_model
from drummernet.model import io as model_io


@pytest.mark.parametrize("preset", ["reference-code", "lite"])
def test_round_trip_rebuilds_the_same_network(tmp_path, preset):
    config = get_preset(preset).replace(batch_size=8)
    model = AnalysisNetwork(config).eval()
    path = tmp_path / "m.pt"
    save_model(model, path, metadata={"steps": 12})
    loaded = load_model(path)
    assert loaded.config == config
    assert loaded.metadata == {"steps": 12}
    audio = torch.randn(1, 3000)
    with torch.no_grad():
        torch.testing.assert_close(loaded(audio), model(audio))


def test_missing_corrupt_and_foreign_files_are_model_file_errors(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "absent.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ModelFileError, match=r"not a drummernet model file \(not a PyTorch"):
        load_model(corrupt)
    pickled = tmp_path / "pickled.pt"  # arbitrary Python objects: never unpickled
    torch.save({"config": {}, "state_dict": {}, "x": ValueError("x")}, pickled)
    with pytest.raises(ModelFileError, match="Python objects besides weights") as info:
        load_model(pickled)
    assert "weights_only" not in str(info.value) and "\n" not in str(info.value)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ModelFileError, match="no configuration"):
        load_model(foreign)


def test_weights_from_another_configuration_are_rejected(tmp_path):
    path = tmp_path / "m.pt"
    save_model(AnalysisNetwork(get_preset("paper")), path)
    payload = torch.load(path, weights_only=True)
    payload["config"]["gru_bidirectional_units"] = 11
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="do not match"):
        load_model(path)
    payload["config"]["activation"] = "relu"
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="incompatible configuration"):
        load_model(path)
    payload["format"] = model_io.FORMAT_VERSION + 1
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="newer"):
        load_model(path)


def test_full_disk_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    model = AnalysisNetwork(get_preset("reference-code"))
    save_model(model, path, metadata={"version": "good"})
    before = path.read_bytes()

    def full_disk(obj, handle):
        handle.write(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(model_io.torch, "save", full_disk)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(model, path, metadata={"version": "new"})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no temp file left


def test_unwritable_folder_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot write"):
        save_model(AnalysisNetwork(get_preset("reference-code")), tmp_path / "no" / "m.pt")

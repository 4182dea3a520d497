from pathlib import Path

import numpy as np
import pytest

from drummernet.datasets import (
    AnnotationError,
    load_mdb_drums,
    read_enst,
    read_idmt_xml,
    read_onset_text,
)
from drummernet.datasets.annotations import ENST_COMPONENTS, class_onsets, component_onsets

MDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "mdb-drums-dev"
needs_mdb = pytest.mark.skipif(not MDB.is_dir(), reason="needs ../shared/data/mdb-drums-dev")


def test_text_reader_accepts_tabs_spaces_commas_and_comments(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("# comment\n0.50 \t KD \n0.25\tSD\n\n1e-1,HH\n0.75 KD\n")
    onsets = read_onset_text(path)
    assert set(onsets) == {"KD", "SD", "HH"}
    np.testing.assert_array_equal(onsets["KD"], [0.5, 0.75])
    np.testing.assert_array_equal(onsets["HH"], [0.1])


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("0.5\tKD\noops\n")
    with pytest.raises(AnnotationError, match=r"bad\.txt:2: expected 'time label'"):
        read_onset_text(path)
    with pytest.raises(AnnotationError, match="cannot read"):
        read_onset_text(tmp_path / "missing.txt")


def test_idmt_xml_and_its_errors(tmp_path):
    path = tmp_path / "t.xml"
    path.write_text(
        "<instrumentRecording><transcription>"
        "<event><pitch>36</pitch><onsetSec>0.1</onsetSec><instrument>KD</instrument></event>"
        "<event><onsetSec>0.3</onsetSec><instrument>HH</instrument></event>"
        "<event><onsetSec>0.2</onsetSec><instrument>KD</instrument></event>"
        "</transcription></instrumentRecording>"
    )
    onsets = read_idmt_xml(path)
    np.testing.assert_array_equal(onsets["KD"], [0.1, 0.2])
    path.write_text("<a><event><onsetSec>x</onsetSec><instrument>KD</instrument></event></a>")
    with pytest.raises(AnnotationError, match="event 1"):
        read_idmt_xml(path)
    path.write_text("<a><event>")
    with pytest.raises(AnnotationError, match="cannot read XML"):
        read_idmt_xml(path)


def test_enst_labels_map_to_components_and_classes(tmp_path):
    path = tmp_path / "enst.txt"
    path.write_text("0.1 bd\n0.2 chh\n0.3 ohh\n0.4 cb\n0.5 sd-\n0.6 lft\n")
    components = component_onsets(read_enst(path), ENST_COMPONENTS, path)
    assert set(components) == {"KD_KD", "HH_CHH", "HH_OHH", "SD_SD", "TT_HFT"}  # cowbell dropped
    classes = class_onsets(components)
    np.testing.assert_array_equal(classes["HH"], [0.2, 0.3])
    path.write_text("0.1 kazoo\n")
    with pytest.raises(AnnotationError, match="unknown label 'kazoo'"):
        component_onsets(read_enst(path), ENST_COMPONENTS, path)


@needs_mdb
def test_mdb_subclasses_agree_with_the_class_files():
    tracks = load_mdb_drums(MDB)
    assert [t.name for t in tracks] == [
        "MusicDelta_Hendrix",
        "MusicDelta_Punk",
        "MusicDelta_Reggae",
        "MusicDelta_Rockabilly",
    ]
    for track in tracks:
        assert track.audio_path.is_file()
        by_class = read_onset_text(MDB / "annotations" / "class" / f"{track.name}_class.txt")
        for name in ("KD", "SD", "HH"):
            np.testing.assert_allclose(track.classes[name], by_class.get(name, []), atol=1e-6)


def test_mdb_loader_reports_a_bad_track_and_keeps_the_others(tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "annotations" / "subclass").mkdir(parents=True)
    for name, text in (("Good", "0.1\tKD\n"), ("Bad", "0.1\tKD\nbroken line here\n")):
        (tmp_path / "audio" / f"{name}_Drum.wav").write_bytes(b"")
        (tmp_path / "annotations" / "subclass" / f"{name}_subclass.txt").write_text(text)
    errors: list[str] = []
    tracks = load_mdb_drums(tmp_path, errors)
    assert [t.name for t in tracks] == ["Good"]
    assert len(errors) == 1 and "Bad_subclass.txt:2" in errors[0]
    with pytest.raises(AnnotationError):
        load_mdb_drums(tmp_path)
    with pytest.raises(AnnotationError, match="not an MDB Drums folder"):
        load_mdb_drums(tmp_path / "audio")


def test_idmt_and_enst_folder_layouts_are_detected_and_loaded(tmp_path):
    from drummernet.datasets import detect_layout, load_dataset

    idmt = tmp_path / "idmt"
    (idmt / "audio").mkdir(parents=True)
    (idmt / "annotation_xml").mkdir()
    (idmt / "audio" / "RealDrum01_00#MIX.wav").write_bytes(b"")
    (idmt / "audio" / "RealDrum01_00#KD.wav").write_bytes(b"")  # single-instrument: skipped
    (idmt / "annotation_xml" / "RealDrum01_00#MIX.xml").write_text(
        "<instrumentRecording><transcription>"
        "<event><onsetSec>0.5</onsetSec><instrument>KD</instrument></event>"
        "<event><onsetSec>0.25</onsetSec><instrument>HH</instrument></event>"
        "</transcription></instrumentRecording>"
    )
    enst = tmp_path / "enst"
    (enst / "drummer_1" / "audio" / "wet_mix").mkdir(parents=True)
    (enst / "drummer_1" / "annotation").mkdir()
    (enst / "drummer_1" / "audio" / "wet_mix" / "001_hits.wav").write_bytes(b"")
    (enst / "drummer_1" / "annotation" / "001_hits.txt").write_text("0.1 bd\n0.2 sd\n0.3 chh\n")
    assert detect_layout(idmt) == "idmt" and detect_layout(enst) == "enst"
    (track,) = load_dataset(idmt)
    assert track.name == "RealDrum01_00#MIX"
    np.testing.assert_array_equal(track.classes["KD"], [0.5])
    np.testing.assert_array_equal(track.classes["HH"], [0.25])
    (track,) = load_dataset(enst)
    assert track.name == "drummer_1/001_hits"
    assert {k: len(v) for k, v in track.classes.items()} == {"KD": 1, "SD": 1, "HH": 1}
    with pytest.raises(AnnotationError, match="not a known dataset layout"):
        detect_layout(tmp_path)

"""The install: a wheel that carries the shipped model and runs anywhere, and an app that needs no TensorFlow."""

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO_DIR

# Run first in a child interpreter: every import of TensorFlow or Keras fails as if they were not installed.
BLOCK_TENSORFLOW = """
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"tensorflow", "keras"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NotInstalled())
"""
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "runs", "checkpoints", "__pycache__",
                                    "*.egg-info", ".pytest_cache", ".hypothesis")


def without_tensorflow(code, cwd):
    environment = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    return subprocess.run([sys.executable, "-c", BLOCK_TENSORFLOW + code], capture_output=True, text=True,
                          cwd=cwd, env=environment, timeout=120)


def test_the_camera_path_runs_without_tensorflow(model_path, tmp_path):
    result = without_tensorflow(f"from camera_digits.app import main\nraise SystemExit(main(['--demo', "
                                f"'--headless', '--max-frames', '5', '--json', '-', '--model', {model_path!r}]))",
                                tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5 and sum(len(line["digits"]) for line in lines) >= 20


def test_training_without_tensorflow_names_the_install_command(tmp_path):
    result = without_tensorflow("from camera_digits.training.cli import main\nraise SystemExit(main([]))", tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    error = result.stderr.strip()
    assert "\n" not in error and error.startswith("error: training needs TensorFlow")
    assert f'-m pip install -e "{REPO_DIR}[train]"' in error


@pytest.mark.parametrize("argv, exit_code, expected", [
    (["--help"], 0, "usage: train.py"),                            # help
    (["--epochs", "0"], 2, "--epochs: must be at least 1"),          # a bad value
    (["--distribute", "cluster"], 2, "invalid choice: 'cluster'"),  # an unknown choice
])
def test_help_and_argument_errors_answer_without_importing_tensorflow(tmp_path, argv, exit_code, expected):
    result = without_tensorflow(f"from camera_digits.training.cli import main\nraise SystemExit(main({argv!r}))",
                                tmp_path)
    assert result.returncode == exit_code and expected in result.stdout + result.stderr


def build_wheel(tmp_path):
    """Build the wheel from a copy of the checkout, as pip would, without network or build isolation."""
    source = tmp_path / "source"
    shutil.copytree(REPO_DIR, source, ignore=NOT_COPIED)
    code = "import sys\nfrom setuptools import build_meta\nprint(build_meta.build_wheel(sys.argv[1]))"
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "dist")], cwd=source, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return tmp_path / "dist" / result.stdout.strip().splitlines()[-1]


def fresh_virtualenv(folder):
    """A virtualenv whose only packages beyond its own are this interpreter's (numpy, OpenCV, LiteRT): a path
    line in a .pth file adds them without running their .pth files, so a checkout installed there in editable
    mode stays out of it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    paths = [path for path in site.getsitepackages() if os.path.isdir(path)]
    (folder / purelib / "runner-packages.pth").write_text("\n".join(paths) + "\n")
    return python


def test_the_wheel_carries_the_model_and_runs_outside_the_checkout(tmp_path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        requirements = archive.read(next(name for name in names if name.endswith("METADATA"))).decode()
    assert {"camera_digits/models/digits.tflite", "camera_digits/models/digits.keras",
            "camera_digits/assets/demo.mp4"} <= set(names)
    base_requirements = [line for line in requirements.splitlines() if line.startswith("Requires-Dist") and
                         "extra ==" not in line]
    assert not [line for line in base_requirements if "tensorflow" in line or "keras" in line]
    python = fresh_virtualenv(tmp_path / "venv")
    # --ignore-installed: the runner's own install of the package, visible through the .pth, must not count.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--ignore-installed", "--quiet", str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CAMERA_DIGITS_MODEL")}

    def run(*command):
        return subprocess.run(command, capture_output=True, text=True, cwd=elsewhere, env=environment, timeout=120)

    located = run(str(python), "-c", "from camera_digits import classifier; print(classifier.default_model_path())")
    assert located.stdout.strip().startswith(str(tmp_path / "venv")), located.stderr
    result = run(str(tmp_path / "venv" / "bin" / "camera-digits"), "--demo", "--headless", "--max-frames", "5",
                 "--json", "-")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5 and sum(len(line["digits"]) for line in lines) >= 20
    help_text = run(str(tmp_path / "venv" / "bin" / "camera-digits-train"), "--help").stdout
    assert help_text.startswith("usage: camera-digits-train")

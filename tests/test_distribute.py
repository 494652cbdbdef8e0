"""`--distribute multi-worker`: two worker processes on this machine train one model together over 127.0.0.1."""

import json
import os
import socket
import subprocess
import sys

from types import SimpleNamespace

import pytest

pytest.importorskip("tensorflow")

from camera_digits.training import cli, distribute  # noqa: E402
from tests.conftest import REPO_DIR  # noqa: E402


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def test_two_workers_end_with_the_same_weights_and_only_the_chief_publishes(tmp_path, small_mnist_npz):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        environment = {**without_log_level(os.environ), "TF_CONFIG": json.dumps(config), "PYTHONPATH": str(REPO_DIR)}
        command = [sys.executable, str(REPO_DIR / "train.py"), "--distribute", "multi-worker", "--arch", "seed",
                   "--data", str(small_mnist_npz), "--out", str(tmp_path / f"out{index}"), "--limit", "200",
                   "--epochs", "1", "--batch-size", "25"]
        processes.append(subprocess.Popen(command, env=environ_without_gpus(environment), cwd=tmp_path,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    fingerprints = [line.split()[-1] for stdout, _ in outputs for line in stdout.splitlines() if "fingerprint" in line]
    assert len(fingerprints) == 2 and fingerprints[0] == fingerprints[1]
    metadata = json.loads((tmp_path / "out0" / "digits.json").read_text())
    assert metadata["distribute"] == {"strategy": "multi-worker", "replicas": 2, "workers": 2,
                                      "global_batch_size": 50}
    assert metadata["train_images"] == 200 and len(metadata["history"]["val_accuracy"]) == 1
    assert not (tmp_path / "out1").exists()  # the second worker wrote nothing
    assert "worker 1 of 2" in outputs[1][0]
    assert [stderr for _, stderr in outputs] == ["", ""]  # no TensorFlow, gRPC or absl log lines


def environ_without_gpus(environment):
    return {**environment, "CUDA_VISIBLE_DEVICES": ""}


def without_log_level(environment):
    return {name: value for name, value in environment.items() if name != "TF_CPP_MIN_LOG_LEVEL"}


def test_multi_worker_without_tf_config_is_one_line(tmp_path, small_mnist_npz, monkeypatch, capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cli.main(["--distribute", "multi-worker", "--data", str(small_mnist_npz), "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --distribute multi-worker needs TF_CONFIG") and "\n" not in error


@pytest.mark.parametrize("mode, strategy", [("mirrored", "mirrored"), ("auto", "none")])
def test_one_machine_modes_train_and_say_which_strategy(tmp_path, small_mnist_npz, mode, strategy):
    # No GPU here: mirrored runs on the CPU as one replica, and auto needs more than one GPU to mirror.
    out = tmp_path / "out"
    assert cli.main(["--distribute", mode, "--arch", "seed", "--data", str(small_mnist_npz), "--out", str(out),
                     "--limit", "200", "--epochs", "1"]) == 0
    metadata = json.loads((out / "digits.json").read_text())
    assert metadata["distribute"] == {"strategy": strategy, "replicas": 1, "workers": 1, "global_batch_size": 128}


def strategy_in(cluster, task_type, task_id):
    spec = SimpleNamespace(as_dict=lambda: cluster)
    return SimpleNamespace(cluster_resolver=SimpleNamespace(task_type=task_type, task_id=task_id,
                                                            cluster_spec=lambda: spec))


TWO_WORKERS = {"worker": ["a:1", "b:1"]}
CHIEF_AND_WORKERS = {"chief": ["c:1"], "worker": ["a:1", "b:1"]}


@pytest.mark.parametrize("cluster, task_type, task_id, chief, workers", [
    (TWO_WORKERS, "worker", 0, True, 2),          # worker 0 leads a cluster without a chief
    (TWO_WORKERS, "worker", 1, False, 2),
    (CHIEF_AND_WORKERS, "chief", 0, True, 3),     # a named chief leads
    (CHIEF_AND_WORKERS, "worker", 0, False, 3),   # and worker 0 then does not
])
def test_only_one_task_of_a_cluster_is_the_chief(cluster, task_type, task_id, chief, workers):
    strategy = strategy_in(cluster, task_type, task_id)
    assert distribute.is_chief(strategy) is chief and distribute.worker_count(strategy) == workers


def test_verbose_brings_tensorflow_log_lines_back(tmp_path):
    # Without --verbose the two workers above print nothing to stderr.
    command = [sys.executable, str(REPO_DIR / "train.py"), "--data", str(tmp_path / "missing.npz"),
               "--out", str(tmp_path / "out"), "--verbose"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={**without_log_level(os.environ), "PYTHONPATH": str(REPO_DIR)})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines[-1].startswith("error: ") and "no such file" in lines[-1]
    assert len(lines) > 1  # oneDNN and CPU-feature lines while TensorFlow loads

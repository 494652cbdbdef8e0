"""`--distribute multi-worker`: two worker processes on this machine train one model together over 127.0.0.1."""

import json
import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")

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
        environment = {**os.environ, "TF_CONFIG": json.dumps(config), "PYTHONPATH": str(REPO_DIR)}
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


def environ_without_gpus(environment):
    return {**environment, "CUDA_VISIBLE_DEVICES": ""}


def test_multi_worker_without_tf_config_is_one_line(tmp_path, small_mnist_npz, monkeypatch, capsys):
    from camera_digits.training import cli

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cli.main(["--distribute", "multi-worker", "--data", str(small_mnist_npz), "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --distribute multi-worker needs TF_CONFIG") and "\n" not in error

"""Training on several GPUs or machines with tf.distribute: which strategy, and who publishes.

`mirrored` copies the model onto every local GPU and averages their gradients each step; `multi-worker` does
the same across the machines that `TF_CONFIG` lists. Each replica takes `--batch-size` images a step, so the
global batch grows with the replicas. Every worker ends with the same weights; only the chief writes files.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

from camera_digits.errors import CameraDigitsError

TF_CONFIG_EXAMPLE = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}\'')


def strategy_for(mode: str) -> tf.distribute.Strategy:
    """The strategy for `--distribute mode`; `auto` is `mirrored` where more than one GPU is visible."""
    if mode == "auto":
        mode = "mirrored" if len(tf.config.list_physical_devices("GPU")) > 1 else "none"
    if mode == "none":
        return tf.distribute.get_strategy()
    if mode == "mirrored":
        return tf.distribute.MirroredStrategy()
    check_tf_config(os.environ.get("TF_CONFIG", ""))
    return tf.distribute.MultiWorkerMirroredStrategy()


def check_tf_config(text: str) -> None:
    """Raise a one-line error unless `text` names a cluster of workers and this process's place in it."""
    try:
        config = json.loads(text) if text else None
    except ValueError as error:
        raise CameraDigitsError(f"TF_CONFIG is not JSON ({error}); set it like {TF_CONFIG_EXAMPLE}") from None
    if not isinstance(config, dict) or not config.get("cluster") or "type" not in config.get("task", {}):
        raise CameraDigitsError(f"--distribute multi-worker needs TF_CONFIG with a cluster and this machine's task, "
                                f"e.g. {TF_CONFIG_EXAMPLE}")


def fit_across_workers(model, train_data, validation_data, strategy: tf.distribute.Strategy, epochs: int,
                       initial_epoch: int, checkpoint, global_batch_size: int) -> None:
    """`model.fit` across machines. Keras 3's own fit cannot run a multi-worker strategy (it averages the first
    batch and the scalar logs along an axis they do not have: keras-team/keras#20585), so these are its steps
    written out: each replica computes gradients on its share of the global batch, the optimizer sums them over
    all replicas, and every worker applies the same update. `checkpoint` gets the logs after each epoch."""
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def sums(labels, logits, losses):
        correct = tf.reduce_sum(tf.cast(tf.argmax(logits, axis=1) == labels, tf.float32))
        return tf.stack([tf.reduce_sum(losses), correct, tf.cast(tf.size(labels), tf.float32)])

    def train_replica(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            losses = loss_function(labels, logits)
            loss = tf.nn.compute_average_loss(losses, global_batch_size=global_batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return sums(labels, logits, losses)

    def test_replica(images, labels):
        logits = model(images, training=False)
        return sums(labels, logits, loss_function(labels, logits))

    @tf.function
    def step(replica_step, images, labels):
        return strategy.reduce("SUM", strategy.run(replica_step, args=(images, labels)), axis=None)

    checkpoint.set_model(model)
    train_batches = strategy.experimental_distribute_dataset(train_data)
    validation_batches = strategy.experimental_distribute_dataset(validation_data)
    for epoch in range(initial_epoch, epochs):
        train = sum(step(train_replica, images, labels) for images, labels in train_batches)
        test = sum(step(test_replica, images, labels) for images, labels in validation_batches)
        logs = {"accuracy": float(train[1] / train[2]), "loss": float(train[0] / train[2]),
                "val_accuracy": float(test[1] / test[2]), "val_loss": float(test[0] / test[2])}
        print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(f"{name} {value:.4f}" for name, value in logs.items()))
        checkpoint.on_epoch_end(epoch, logs)


def worker_count(strategy: tf.distribute.Strategy) -> int:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 1
    return sum(len(tasks) for tasks in resolver.cluster_spec().as_dict().values())


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True on the worker that writes files: the "chief" task if the cluster has one, else worker 0."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def describe(strategy: tf.distribute.Strategy, batch_size: int) -> dict:
    """For the metadata: the strategy, replicas, workers and the global batch."""
    replicas = strategy.num_replicas_in_sync
    return {"strategy": mode_of(strategy), "replicas": replicas, "workers": worker_count(strategy),
            "global_batch_size": batch_size * replicas}


def mode_of(strategy: tf.distribute.Strategy) -> str:
    """The --distribute mode that `strategy` stands for."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return "multi-worker"
    return "mirrored" if isinstance(strategy, tf.distribute.MirroredStrategy) else "none"


def worker_summary(strategy: tf.distribute.Strategy, fingerprint: str) -> str:
    resolver = strategy.cluster_resolver
    return (f"worker {resolver.task_id} of {worker_count(strategy)}: trained in step with the chief, which "
            f"publishes the model; {fingerprint}")

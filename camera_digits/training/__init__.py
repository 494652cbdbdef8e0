"""The training side: MNIST and extra crops in, a published model out. The only code that imports TensorFlow.

`cli.main` parses the command line before TensorFlow is imported, so `--help` and argument errors are instant
and a missing TensorFlow is one line naming the install command.
"""

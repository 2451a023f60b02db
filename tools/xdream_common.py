"""Helpers shared by the Python tools (tools/*.py and tools/testbed/*.py).

The tools are scripts, not an installed package: a script in tools/ finds this module because
Python puts the script's own folder first on sys.path; the scripts in tools/testbed/ add the
parent folder themselves. The name is specific on purpose: the exporters import a user's model
file (load_module_spec), and a user's own "common.py" next to it must not be shadowed by this
one. Nothing here imports torch at module level, so a tool that does not need it can use the
file and process helpers alone.
"""
import hashlib
import importlib.util
import os
import sys
import time


def sha256_file(path):
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_sha256_sidecar(path):
    """Write PATH.sha256 in sha256sum's format: xdream checks a model against it when it loads
    one (LibTorch itself loads a file with damaged weights without a word)."""
    digest = sha256_file(path)
    with open(path + ".sha256", "w") as f:
        f.write(f"{digest}  {os.path.basename(path)}\n")
    return digest


def reexec_with_fixed_hash_seed():
    """TorchScript writes a module's constants in an order that follows Python's string hashing,
    which is randomized per process; run under PYTHONHASHSEED=0 so that the .pt bytes (not only
    the weights) repeat from run to run. Call it first thing in a script's main block: it
    replaces the process (same interpreter, same arguments) unless the seed is already 0."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def load_module_spec(spec):
    """'path/to/file.py:Name' -> Name() from that file (a class or a function that returns a
    module, called without arguments). The file's folder goes first on sys.path, so that the
    file can import its neighbours."""
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SystemExit(f"--module wants FILE.py:NAME, got {spec!r}")
    mod_spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(path))[0], path)
    mod = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    mod_spec.loader.exec_module(mod)
    return getattr(mod, name)()


def load_weights(model, path):
    """Load a state dict saved by torch.save into model, strictly by name. Accepted: a bare
    state dict, a whole saved module, or a checkpoint dict that keeps the state dict under
    "state_dict", "model" or "model_state_dict"; "module." prefixes (DataParallel) are dropped
    and plain arrays or numbers become tensors. A missing or unexpected key ends the program."""
    import torch
    from torch import nn

    state = torch.load(path, map_location="cpu")
    if isinstance(state, nn.Module):
        state = state.state_dict()
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
    state = {k: (torch.as_tensor(v) if not isinstance(v, torch.Tensor) else v)
             for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f"{path}: state dict does not fit the model: missing {missing}, "
                         f"unexpected {unexpected}")


def print_forward_time(module, inputs, threads):
    """Print the time of one forward pass of module on inputs, after a first (warm-up) pass;
    threads is the torch thread count the caller set, for the message."""
    import torch

    with torch.no_grad():
        module(inputs)
        t = time.perf_counter()
        module(inputs)
        print(f"  forward at batch {inputs.shape[0]}, {threads} threads: "
              f"{time.perf_counter() - t:.3f} s")

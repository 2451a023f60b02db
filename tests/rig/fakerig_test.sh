#!/bin/sh
# xdream-fakerig end to end: blocks written as xdream writes them, the rig at high speed with the
# synthetic neuron and with the bundled network, its .mat files read with h5py, determinism and
# every fault. Usage: fakerig_test.sh XDREAM_FAKERIG [PART ...] (parts: see fakerig_test.py).
exec /usr/bin/python3 "$(dirname "$0")/fakerig_test.py" "$@"

#!/usr/bin/python3
"""xdream-fakerig against blocks written the way xdream writes them (docs/rig-files.md).

Usage: fakerig_test.py XDREAM_FAKERIG [PART ...]

Writes PNGs (plain zlib, no imaging library), a manifest and current_block.json into temporary
exchange directories, runs the fake rig at --speed 1000 and checks what it writes back with h5py:
the .mat layout, the response model, determinism (same seed: the same log, also across the crash
restart), the loop and its stop conditions, and each fault. Plays xdream's part where a fault needs
it (taking files away into processed/ or quarantine/, moving current_block.json on). Every failure
prints a line starting with "FAIL "; the exit status is the number of failures (at most 100).
"""

import gzip
import hashlib
import json
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import h5py
import numpy as np

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
PARTS = sys.argv[2:]
FAST = ["--speed", "1000", "--idle-timeout-s", "20", "--quiet"]
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
WINDOW_S = 0.150
failures = 0
part_start = 0


def fail(message):
    global failures
    failures += 1
    print("FAIL " + message, flush=True)


def ok(message):
    """The part's result line: "ok" when nothing failed since the part began."""
    print(("ok " if failures == part_start else "failed: ") + message, flush=True)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


# --- what xdream writes -----------------------------------------------------------------------

def png_bytes(pixels):
    """An 8-bit grey PNG of a list of rows of 0..255 values."""
    height, width = len(pixels), len(pixels[0])

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\0" + bytes(row) for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temporary, path)


def synthetic_image(seed, size=28):
    """A bright disc of a seeded radius and brightness on seeded noise."""
    rng = random.Random(seed)
    radius, level = rng.uniform(2, 12), rng.uniform(0.3, 1.0)
    c = (size - 1) / 2
    return [[min(255, int(255 * (level if math.hypot(y - c, x - c) < radius else 0.1)
                          + rng.randrange(20))) for x in range(size)] for y in range(size)]


def fashion_tshirts(count):
    """The first `count` T-shirts (label 0) of the Fashion-MNIST test set, when it is installed."""
    labels = FASHION.replace("images-idx3", "labels-idx1")
    if not (os.path.exists(FASHION) and os.path.exists(labels)):
        return None
    with gzip.open(labels) as f:
        tags = f.read()[8:]
    with gzip.open(FASHION) as f:
        data = f.read()[16:]
    picked = [i for i, t in enumerate(tags) if t == 0][:count]
    return [[list(data[i * 784 + 28 * y: i * 784 + 28 * y + 28]) for y in range(28)] for i in picked]


def write_block(d, session, block, generation=1, attempt=1, synthetic=8, references=2, reps=1,
                status="open", reference_images=None, seed=0):
    """Writes block `block` as xdream does (images, manifest, current_block.json); returns the
    stimuli in showing order."""
    images = [("%s-g%d-%d" % (session, generation, i), "synthetic", synthetic_image(seed * 1000 + i))
              for i in range(synthetic)]
    for r in range(references):
        pixels = reference_images[r] if reference_images else synthetic_image(10 ** 6 + r)
        images.append(("ref-natural_%d" % r, "reference", pixels))
    random.Random(block).shuffle(images)
    stimuli = []
    for index, (stim_id, kind, pixels) in enumerate(images):
        name = "block%03d_%03d_%s.png" % (block, index, stim_id)
        data = png_bytes(pixels)
        write_atomically(os.path.join(d, name), data)
        stimuli.append({"index": index, "stim_id": stim_id, "kind": kind, "file": name,
                        "sha256": hashlib.sha256(data).hexdigest(), "width": 28, "height": 28})
    manifest = {"protocol": "xdream-rig-files", "version": 1, "session": session, "block": block,
                "generation": generation, "attempt": attempt, "reps": reps, "deadline_s": 1800.0,
                "stimuli": stimuli}
    write_atomically(os.path.join(d, "block%03d.manifest.json" % block), json.dumps(manifest).encode())
    set_current(d, session, block, status)
    return stimuli


def set_current(d, session, block, status):
    write_atomically(os.path.join(d, "current_block.json"), json.dumps(
        {"protocol": "xdream-rig-files", "version": 1, "session": session, "block": block,
         "manifest": "block%03d.manifest.json" % block, "status": status}).encode())


# --- what the rig writes back ------------------------------------------------------------------

def cell_strings(f, name):
    refs = f[name][()]
    out = []
    for ref in refs.flatten():
        chars = f[ref][()].flatten()
        out.append("".join(chr(c) for c in chars))
    return out, refs.shape


def read_mat(path):
    """(stimulusID, its HDF5 shape, tEvokedResp as HDF5 stores it, channelLabels)."""
    with open(path, "rb") as f:
        header = f.read(128)
    check(header[124:128] in (b"\x00\x02IM", b"\x02\x00MI"), "%s: no MATLAB 7.3 header" % path)
    with h5py.File(path, "r") as f:
        names, shape = cell_strings(f, "stimulusID")
        values = f["tEvokedResp"][()] if "tEvokedResp" in f else None
        labels = cell_strings(f, "channelLabels")[0] if "channelLabels" in f else None
    return names, shape, values, labels


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def run(args, timeout=60, **kwargs):
    return subprocess.run([BIN] + args, capture_output=True, text=True, timeout=timeout, **kwargs)


def start(args):
    return subprocess.Popen([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def finish(process, timeout=30, what="the rig"):
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        fail(what + " did not finish: " + err.strip())
    return process.returncode, out, err


class Exchange:
    """A temporary exchange directory."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="fakerig-%s-" % name)
        self.name = name

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def take(self, name, into="processed"):
        """xdream's part: move a response file into processed/ (or quarantine/)."""
        os.makedirs(self.path(into), exist_ok=True)
        os.rename(self.path(name), self.path(into, name))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


def is_rate(v):
    return math.isnan(v) or (v >= 0 and abs(v * WINDOW_S - round(v * WINDOW_S)) < 1e-6)


# --- the parts ----------------------------------------------------------------------------------

def test_basic():
    """One block, synthetic neuron, 2 reps, 4 channels (1 correlated): the .mat and the log."""
    with Exchange("basic") as x:
        stimuli = write_block(x.dir, "3fa2c9d1", 1, reps=2)
        r = run(["--dir", x.dir, "--synthetic", "--channels", "4", "--correlated", "1",
                 "--labels", "a17,b2,c3,d4", "--max-blocks", "1", "--log", x.path("log.jsonl"),
                 "--seed", "7", "--speed", "1000"])
        if not check(r.returncode == 0, "basic: exit %d: %s" % (r.returncode, r.stderr)):
            return
        check("block001 (generation 1, attempt 1): 10 images x 2 reps" in r.stdout, "basic: " + r.stdout)
        names, shape, values, labels = read_mat(x.path("block001.mat"))
        files = [s["file"] for s in stimuli]
        check(names == files + files, "basic: stimulusID %s is not the files twice in order" % names[:3])
        # N x 1 in MATLAB's (column-major) view is HDF5 shape (1, N).
        check(shape == (1, 20), "basic: stimulusID has HDF5 shape %s, expected (1, 20)" % (shape,))
        check(values.shape == (20, 4), "basic: tEvokedResp has HDF5 shape %s" % (values.shape,))
        check(labels == ["a17", "b2", "c3", "d4"], "basic: channelLabels %s" % labels)
        check(all(is_rate(v) for v in values.flatten()), "basic: a value is not spikes / 0.15 s")
        check(not np.isnan(values).any(), "basic: NaN without a fault")
        # The target follows the synthetic neuron (brighter centre, more spikes) and the noise
        # channels sit around 20 Hz.
        check(values[:, 0].mean() > 10, "basic: target mean %.1f Hz" % values[:, 0].mean())
        noise = values[:, 2:].mean()
        check(5 < noise < 40, "basic: noise channels at %.1f Hz, expected about 20" % noise)
        with open(x.path("block001.progress.json")) as f:
            progress = json.load(f)
        check(progress == {"done": 20, "valid": 20, "paused": False}, "basic: progress %s" % progress)
        log = read_log(x.path("log.jsonl"))
        check(len(log) == 80, "basic: %d log lines, expected 20 x 4" % len(log))
        first = log[0]
        check(first["block"] == 1 and first["attempt"] == 1 and first["rep"] == 0
              and first["channel"] == "a17" and first["file"] == "block001.mat"
              and first["stim_id"] == stimuli[0]["stim_id"] and "fault" not in first,
              "basic: first log line %s" % first)
        check(abs(first["value"] - values[0, 0]) < 1e-12, "basic: log value differs from the file")
        check(log[40]["rep"] == 1 and log[40]["stim_id"] == stimuli[0]["stim_id"],
              "basic: second rep not logged as rep 1: %s" % log[40])
        check(not os.path.exists(x.path("block001.mat.tmp")), "basic: temporary file left")
        ok("basic: .mat layout, rates, progress, log; target %.1f Hz, noise %.1f Hz"
              % (values[:, 0].mean(), noise))


def test_determinism():
    """Same seed: the same log byte for byte (also with other timing); another seed: another."""
    logs = []
    for seed, speed in (("11", "1000"), ("11", "300"), ("12", "1000")):
        with Exchange("det") as x:
            write_block(x.dir, "3fa2c9d1", 1, synthetic=30, references=10, reps=2)
            r = run(["--dir", x.dir, "--synthetic", "--channels", "3", "--correlated", "1",
                     "--fixation-break", "0.3", "--max-blocks", "1", "--log", x.path("log"),
                     "--seed", seed, "--speed", speed, "--quiet"])
            check(r.returncode == 0, "determinism: exit %d: %s" % (r.returncode, r.stderr))
            with open(x.path("log")) as f:
                logs.append(f.read())
    check(logs[0] == logs[1], "determinism: the same seed gave different logs")
    check(logs[0] != logs[2], "determinism: seeds 11 and 12 gave the same log")
    broken = sum('"fixation-break"' in line for line in logs[0].splitlines())
    ok("determinism: identical logs for seed 11 at two speeds (%d lines, %d of them in "
          "broken trials), another for seed 12" % (len(logs[0].splitlines()), broken))


def test_network():
    """The bundled classifier's unit fc8[0]: reference max measured on the first block."""
    tshirts = fashion_tshirts(4)
    with Exchange("net") as x:
        write_block(x.dir, "3fa2c9d1", 1, synthetic=12, references=4, reference_images=tshirts)
        args = ["--dir", x.dir, "--max-blocks", "1", "--log", x.path("log"), "--speed", "1000"]
        if tshirts is None:
            args += ["--reference-max", "10"]
        began = time.time()
        r = run(args, timeout=120)
        took = time.time() - began
        if not check(r.returncode == 0, "network: exit %d: %s" % (r.returncode, r.stderr)):
            return
        check("unit fc8[0] of" in r.stdout, "network: %s" % r.stdout)
        if tshirts is not None:
            check("reference maximum" in r.stdout, "network: no measured reference max: " + r.stdout)
        names, shape, values, labels = read_mat(x.path("block001.mat"))
        check(values.shape == (16, 1) and labels == ["ch0"], "network: %s %s" % (values.shape, labels))
        check(all(is_rate(v) for v in values.flatten()), "network: a value is not spikes / 0.15 s")
        refs = [i for i, n in enumerate(names) if "ref-" in n]
        ref_mean = values[refs, 0].mean()
        check(ref_mean > 30, "network: the references (T-shirts) drive fc8[0] at only %.1f Hz" % ref_mean)
        with Exchange("net2") as y:
            write_block(y.dir, "3fa2c9d1", 1, synthetic=12, references=4, reference_images=tshirts)
            args[1], args[5] = y.dir, y.path("log")
            again = run(args, timeout=120)
            check(again.returncode == 0 and open(x.path("log")).read() == open(y.path("log")).read(),
                  "network: a second run with the same seed logged other responses")
        line = [l for l in r.stdout.splitlines() if "reference maximum" in l]
        ok("network: %s; references at %.1f Hz, in %.1f s (%s); a second run logs the same"
              % ("fc8[0] of the bundled classifier", ref_mean, took, line[0].split(": ", 1)[1] if line else ""))


def test_loop():
    """Two blocks through the loop (xdream takes each file), then done: exit 0."""
    with Exchange("loop") as x:
        write_block(x.dir, "3fa2c9d1", 1)
        p = start(["--dir", x.dir, "--synthetic", "--speed", "1000", "--idle-timeout-s", "20"])
        check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "loop: no block001.mat")
        time.sleep(0.1)
        x.take("block001.mat")
        set_current(x.dir, "3fa2c9d1", 1, "closed")
        time.sleep(0.05)
        write_block(x.dir, "3fa2c9d1", 2, generation=2)
        check(wait_for(lambda: os.path.exists(x.path("block002.mat"))), "loop: no block002.mat")
        set_current(x.dir, "3fa2c9d1", 2, "done")
        code, out, err = finish(p)
        check(code == 0 and "session 3fa2c9d1 is done" in out,
              "loop: exit %d, %s %s" % (code, out, err))
        check(out.count("-> block00") == 2, "loop: %s" % out)
        ok("loop: 2 blocks, stopped at done")


def test_restart_safe():
    """A block that already has a response file (in processed/) is not shown again."""
    with Exchange("restart") as x:
        write_block(x.dir, "3fa2c9d1", 1)
        r = run(["--dir", x.dir, "--synthetic", "--max-blocks", "1"] + FAST)
        check(r.returncode == 0, "restart: first run: %s" % r.stderr)
        x.take("block001.mat")
        before = os.path.getmtime(x.path("processed", "block001.mat"))
        r = run(["--dir", x.dir, "--synthetic", "--idle-timeout-s", "0.5", "--speed", "1000"])
        check(r.returncode == 1 and "already has" in r.stdout and "--idle-timeout-s" in r.stderr,
              "restart: %d %s %s" % (r.returncode, r.stdout, r.stderr))
        check(not os.path.exists(x.path("block001.mat"))
              and os.path.getmtime(x.path("processed", "block001.mat")) == before,
              "restart: the block was shown again")
        ok("restart-safe: an answered block is not shown again; idle timeout is one line")


def test_stop_signal():
    """SIGTERM while waiting for a block: exit 0 at once."""
    with Exchange("signal") as x:
        p = start(["--dir", x.dir, "--synthetic"])
        p.stdout.readline()  # "watching ...": the handlers are in place
        time.sleep(0.2)
        began = time.time()
        p.send_signal(signal.SIGTERM)
        code, out, err = finish(p, timeout=5)
        check(code == 0 and "stopped by SIGTERM" in out, "signal: %d %s %s" % (code, out, err))
        ok("signal: SIGTERM stops the wait in %.2f s" % (time.time() - began))


def test_command_line():
    """A bad command line: exit 2 and one line."""
    with Exchange("cli") as x:
        cases = [[], ["--dir", x.path("missing")], ["--dir", x.dir, "--speed", "0"],
                 ["--dir", x.dir, "--format", "xls"], ["--dir", x.dir, "--pause-block", "2"],
                 ["--dir", x.dir, "--channels", "2", "--correlated", "2"],
                 ["--dir", x.dir, "--channels", "2", "--labels", "a,a"],
                 ["--dir", x.dir, "--format", "json", "--schema-fault", "transposed", "--schema-block", "1"],
                 ["--dir", x.dir, "--synthetic", "--tap", "fc7"], ["--dir", x.dir, "--seed", "-1"],
                 ["--dir", x.dir, "--dropout-channel", "3", "--dropout-block", "1"],
                 ["--dir", x.dir, "--network", x.path("none.pt")], ["--dir", x.dir, "--bogus"]]
        for args in cases:
            r = run(args)
            check(r.returncode == 2 and r.stderr.count("\n") == 1 and "xdream-fakerig: error:" in r.stderr,
                  "command line %s: exit %d, stderr %r" % (args, r.returncode, r.stderr))
        r = run(["--help"])
        missing = [o for o in ("--fixation-break", "--never-score-index", "--latency-s", "--pause-block",
                               "--partial-block", "--truncate-block", "--schema-fault", "--unknown-ids",
                               "--stale-file", "--duplicate-block", "--crash-block", "--dropout-channel",
                               "--unit-loss-block", "--hang-block", "--reorder", "--lost-block")
                   if o not in r.stdout]
        check(r.returncode == 0 and not missing, "help: missing %s" % missing)
        ok("command line: %d bad command lines exit 2 with one line; --help lists every fault"
              % len(cases))


def test_bad_block():
    """An image that does not match its sha256: one line, exit 1."""
    with Exchange("badhash") as x:
        stimuli = write_block(x.dir, "3fa2c9d1", 1)
        with open(x.path(stimuli[3]["file"]), "ab") as f:
            f.write(b"x")
        began = time.time()
        r = run(["--dir", x.dir, "--synthetic"] + FAST)
        check(r.returncode == 1 and "sha256" in r.stderr and r.stderr.count("\n") == 1,
              "bad hash: %d %r" % (r.returncode, r.stderr))
        ok("bad block: a damaged image is one line, exit 1 (after %.1f s of retries)"
              % (time.time() - began))


def run_block(x, extra, reps=1, synthetic=8, references=2, check_exit=True):
    stimuli = write_block(x.dir, "3fa2c9d1", 1, reps=reps, synthetic=synthetic, references=references)
    r = run(["--dir", x.dir, "--synthetic", "--max-blocks", "1", "--log", x.path("log")] + FAST + extra)
    if check_exit:
        check(r.returncode == 0, "%s: exit %d: %s" % (x.name, r.returncode, r.stderr))
    return stimuli, r


def test_faults_in_content():
    """Faults that change the rows: fixation breaks, lost block, never scored, unknown ids,
    schema nan/inf/transposed/row-cell/missing, dropout, unit loss, reorder, path names, json."""
    with Exchange("fixation") as x:
        run_block(x, ["--fixation-break", "0.5", "--seed", "3"], synthetic=36, references=4)
        names, _, values, _ = read_mat(x.path("block001.mat"))
        broken = np.isnan(values[:, 0])
        trials = broken.reshape(-1, 4)
        check(broken.any() and not broken.all(), "fixation: %d of 40 NaN" % broken.sum())
        check(all(t.all() or not t.any() for t in trials), "fixation: a trial partly broken")
        with open(x.path("block001.progress.json")) as f:
            progress = json.load(f)
        check(progress["valid"] == 40 - broken.sum(), "fixation: progress %s" % progress)
        faults = sum(l.get("fault") == "fixation-break" for l in read_log(x.path("log")))
        check(faults == broken.sum(), "fixation: %d log lines with the fault" % faults)
        ok("fixation breaks: %d of 10 trials broken whole, in the log" % trials.all(axis=1).sum())
    with Exchange("lost") as x:
        run_block(x, ["--lost-block", "1"])
        values = read_mat(x.path("block001.mat"))[2]
        check(np.isnan(values).all(), "lost block: not all NaN")
        ok("lost block: every presentation NaN")
    with Exchange("never") as x:
        stimuli, _ = run_block(x, ["--never-score-index", "3"], reps=2)
        names, _, values, _ = read_mat(x.path("block001.mat"))
        nan_rows = sorted(set(n for n, v in zip(names, values[:, 0]) if math.isnan(v)))
        check(nan_rows == [stimuli[3]["file"]], "never scored: NaN rows %s" % nan_rows)
        ok("never scored: image 3 NaN in both reps")
    with Exchange("unknown") as x:
        run_block(x, ["--unknown-ids", "0.25"], synthetic=16, references=4)
        names = read_mat(x.path("block001.mat"))[0]
        foreign = [n for n in names if "3fa2c9d1" not in n and "ref-" not in n]
        check(len(foreign) == 5 and all(n.startswith("block001_") for n in foreign),
              "unknown ids: %s" % foreign)
        ok("unknown ids: 5 of 20 names of another session (%s)" % foreign[0])
    with Exchange("schema-nan") as x:
        run_block(x, ["--schema-fault", "nan", "--schema-block", "1"])
        check(np.isnan(read_mat(x.path("block001.mat"))[2]).all(), "schema nan: not all NaN")
    with Exchange("schema-inf") as x:
        run_block(x, ["--schema-fault", "inf", "--schema-block", "1", "--channels", "2"])
        values = read_mat(x.path("block001.mat"))[2]
        check(np.isinf(values[0]).all() and np.isfinite(values[1:]).all(), "schema inf: %s" % values[:2])
    with Exchange("schema-transposed") as x:
        run_block(x, ["--schema-fault", "transposed", "--schema-block", "1", "--channels", "3"])
        values = read_mat(x.path("block001.mat"))[2]
        check(values.shape == (3, 10), "schema transposed: HDF5 shape %s" % (values.shape,))
    with Exchange("schema-row") as x:
        run_block(x, ["--schema-fault", "row-cell", "--schema-block", "1"])
        shape = read_mat(x.path("block001.mat"))[1]
        check(shape == (10, 1), "schema row-cell: stimulusID HDF5 shape %s" % (shape,))
    with Exchange("schema-missing") as x:
        run_block(x, ["--schema-fault", "missing-variable", "--schema-block", "1"])
        check(read_mat(x.path("block001.mat"))[2] is None, "schema missing-variable: tEvokedResp there")
        check(all(l.get("fault") == "schema-missing-variable" for l in read_log(x.path("log"))),
              "schema missing-variable: not in the log")
    with Exchange("schema-channels") as x:
        run_block(x, ["--schema-fault", "wrong-channels", "--schema-block", "1", "--channels", "2"])
        _, _, values, labels = read_mat(x.path("block001.mat"))
        check(values.shape == (10, 3) and len(labels) == 2, "schema wrong-channels: %s %s"
              % (values.shape, labels))
    with Exchange("schema-h5py") as x:
        stimuli, _ = run_block(x, ["--schema-fault", "h5py-strings", "--schema-block", "1"])
        check(read_mat(x.path("block001.mat"))[0] == [s["file"] for s in stimuli],
              "schema h5py-strings: stimulusID unreadable")
    ok("schema faults: nan, inf, transposed, row-cell, missing-variable, wrong-channels, "
       "h5py-strings")
    with Exchange("dropout") as x:
        run_block(x, ["--channels", "3", "--dropout-channel", "2", "--dropout-block", "1",
                      "--unit-loss-block", "1"], synthetic=36, references=4)
        values = read_mat(x.path("block001.mat"))[2]
        check(np.isnan(values[:, 2]).all() and not np.isnan(values[:, :2]).any(),
              "dropout: channel 2 not the only NaN one")
        lost = values[:, 0].mean()
    with Exchange("no-loss") as x:
        run_block(x, ["--channels", "3"], synthetic=36, references=4)
        kept = read_mat(x.path("block001.mat"))[2][:, 0].mean()
    check(lost < 0.25 * kept, "unit loss: target at %.1f Hz vs %.1f Hz without" % (lost, kept))
    ok("dropout and unit loss: channel 2 NaN; target %.1f Hz instead of %.1f Hz" % (lost, kept))
    with Exchange("reorder") as x:
        stimuli, _ = run_block(x, ["--reorder", "--names", "path"], reps=2)
        names = read_mat(x.path("block001.mat"))[0]
        files = [s["file"] for s in stimuli]
        base = [n.split("\\")[-1] for n in names]
        check(sorted(base) == sorted(files + files) and base != files + files
              and all(n.startswith("N:\\Stimuli\\") for n in names), "reorder/path: %s" % names[:2])
        ok("reorder and Windows paths: %s" % names[0])
    with Exchange("h5") as x:
        stimuli, _ = run_block(x, ["--format", "h5", "--channels", "2"], reps=2)
        with h5py.File(x.path("block001.h5"), "r") as f:
            scores = f["scores"][()]
            ids = [v.decode() if isinstance(v, bytes) else v for v in f["stim_ids"][()]]
            channels = [v.decode() if isinstance(v, bytes) else v for v in f["channels"][()]]
        files = [s["file"] for s in stimuli]
        check(scores.shape == (20, 2) and ids == files + files and channels == ["ch0", "ch1"],
              "h5: %s %s %s" % (scores.shape, ids[:2], channels))
        ok("h5: scores 20 x 2, stim_ids, channels")
    with Exchange("json") as x:
        stimuli, _ = run_block(x, ["--format", "json", "--fixation-break", "0.5", "--seed", "5"], reps=2)
        with open(x.path("block001.json")) as f:
            result = json.load(f)
        ids = [s["stim_id"] for s in stimuli]
        check(result["type"] == "RESULT" and result["block_id"] == 1 and result["session"] == "3fa2c9d1"
              and [r["stim_id"] for r in result["responses"]] == ids + ids
              and [r["rep"] for r in result["responses"]] == [0] * 10 + [1] * 10,
              "json: %s" % json.dumps(result)[:300])
        ok("json: the RESULT message with ids and reps")


def test_crash():
    """The crash fault: the process re-executes itself and answers the block exactly as without."""
    logs = []
    for extra in ([], ["--crash-block", "2", "--crash-restart-s", "0.2"]):
        with Exchange("crash") as x:
            write_block(x.dir, "3fa2c9d1", 1)
            p = start(["--dir", x.dir, "--synthetic", "--log", x.path("log"), "--speed", "1000",
                       "--idle-timeout-s", "20", "--fixation-break", "0.2", "--channels", "2"] + extra)
            check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "crash: no block001.mat")
            time.sleep(0.05)
            x.take("block001.mat")
            write_block(x.dir, "3fa2c9d1", 2, generation=2, synthetic=30, references=10)
            check(wait_for(lambda: os.path.exists(x.path("block002.mat"))), "crash: no block002.mat")
            time.sleep(0.05)
            set_current(x.dir, "3fa2c9d1", 2, "done")
            code, out, err = finish(p)
            check(code == 0, "crash %s: exit %d %s" % (extra, code, err))
            if extra:
                check("crash in block002" in err and "restarted after the crash" in out,
                      "crash: %s / %s" % (out, err))
            with open(x.path("log")) as f:
                logs.append(f.read())
    check(logs[0] == logs[1], "crash: the log after the crash and restart differs from the one without")
    ok("crash and restart: re-executed, block 2 shown again, log identical to a run "
          "without the crash (%d lines)" % len(logs[0].splitlines()))


def test_timed_faults():
    """Faults in time: pause, latency, partial write, truncation, stale file, duplicates, hang."""
    with Exchange("pause") as x:
        write_block(x.dir, "3fa2c9d1", 1)
        p = start(["--dir", x.dir, "--synthetic", "--pause-block", "1", "--pause-s", "1.0",
                   "--max-blocks", "1"] + FAST)
        seen = []

        def paused():
            try:
                with open(x.path("block001.progress.json")) as f:
                    seen.append(json.load(f))
            except (OSError, ValueError):
                pass
            return seen and seen[-1]["paused"]

        check(wait_for(paused), "pause: never paused = true")
        check(not os.path.exists(x.path("block001.mat")), "pause: file written during the pause")
        began = time.time()
        code, out, err = finish(p)
        check(code == 0 and os.path.exists(x.path("block001.mat")), "pause: %s" % err)
        ok("pause: progress paused = true (%s), file %.2f s later" % (seen[-1], time.time() - began))
    with Exchange("latency") as x:
        began = time.time()
        run_block(x, ["--latency-s", "0.8"])
        took = time.time() - began
        check(took >= 0.8, "latency: done in %.2f s" % took)
        ok("latency: the file after %.2f s" % took)
    with Exchange("partial") as x:
        write_block(x.dir, "3fa2c9d1", 1)
        p = start(["--dir", x.dir, "--synthetic", "--partial-block", "1", "--partial-gap-s", "1.0",
                   "--max-blocks", "1"] + FAST)
        check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "partial: no file")
        time.sleep(0.2)
        half = os.path.getsize(x.path("block001.mat"))
        finish(p)
        whole = os.path.getsize(x.path("block001.mat"))
        check(half == whole // 2, "partial: %d bytes during the gap, %d after" % (half, whole))
        read_mat(x.path("block001.mat"))
        ok("partial write: %d of %d bytes during the gap, in place" % (half, whole))
    for fix in ("0.8", "0"):
        with Exchange("truncate") as x:
            write_block(x.dir, "3fa2c9d1", 1)
            p = start(["--dir", x.dir, "--synthetic", "--truncate-block", "1", "--truncate-fix-s", fix,
                       "--max-blocks", "1"] + FAST)
            check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "truncate: no file")
            first = os.path.getsize(x.path("block001.mat"))
            try:
                h5py.File(x.path("block001.mat"), "r").close()
                fail("truncate: the truncated file opens")
            except OSError:
                pass
            finish(p)
            last = os.path.getsize(x.path("block001.mat"))
            if fix != "0":
                check(last == 2 * first or last == 2 * first + 1, "truncate: %d then %d bytes" % (first, last))
                read_mat(x.path("block001.mat"))
            else:
                check(last == first, "truncate never fixed: %d then %d bytes" % (first, last))
            ok("truncation (fix after %s s): %d bytes, then %d" % (fix, first, last))
    with Exchange("stale") as x:
        p = start(["--dir", x.dir, "--synthetic", "--stale-file", "--max-blocks", "1", "--log",
                   x.path("log")] + FAST)
        check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "stale: no stale file")
        stale = read_mat(x.path("block001.mat"))[0]
        check(len(stale) == 40 and all("3fa2c9d1" not in n for n in stale), "stale: %s" % stale[:2])
        write_block(x.dir, "3fa2c9d1", 1)
        time.sleep(0.3)
        check(read_mat(x.path("block001.mat"))[0] == stale, "stale: overwritten before it was taken")
        x.take("block001.mat", "quarantine")
        code, out, err = finish(p)
        names = read_mat(x.path("block001.mat"))[0]
        check(code == 0 and len(names) == 10 and all("3fa2c9d1" in n or "ref-" in n for n in names),
              "stale: then %s" % names[:2])
        ok("stale file: 40 ids of session %s, waited until taken, then block 1"
              % stale[0].split("_")[2].split("-")[0])
    with Exchange("duplicate") as x:
        write_block(x.dir, "3fa2c9d1", 1)
        p = start(["--dir", x.dir, "--synthetic", "--duplicate-block", "1", "--duplicate-conflict",
                   "--duplicate-delay-s", "0.2", "--max-blocks", "1", "--log", x.path("log")] + FAST)
        check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "duplicate: no file")
        time.sleep(0.1)
        first = read_mat(x.path("block001.mat"))[2]
        x.take("block001.mat")
        check(wait_for(lambda: os.path.exists(x.path("block001.mat"))), "duplicate: not written again")
        finish(p)
        second = read_mat(x.path("block001.mat"))[2]
        check(np.allclose(second - first, 1 / WINDOW_S), "duplicate conflict: not one more spike")
        faults = [l.get("fault") for l in read_log(x.path("log"))]
        check(faults.count("duplicate-conflict") == 10, "duplicate: log %s" % faults)
        ok("duplicate with conflict: written again once taken, every value + 1 spike")
    with Exchange("hang") as x:
        write_block(x.dir, "3fa2c9d1", 1)
        p = start(["--dir", x.dir, "--synthetic", "--hang-block", "1", "--max-blocks", "2"] + FAST)
        # The rig has begun block 1 once its progress file is there (its start may take a second
        # or more on a loaded machine: LibTorch loads first); it hangs halfway, milliseconds later
        # at this speed.
        check(wait_for(lambda: os.path.exists(x.path("block001.progress.json"))),
              "hang: block 1 never begun")
        time.sleep(0.5)
        check(not os.path.exists(x.path("block001.mat")), "hang: block 1 answered")
        set_current(x.dir, "3fa2c9d1", 1, "closed")
        write_block(x.dir, "3fa2c9d1", 2, generation=1, attempt=2)
        code, out, err = finish(p)
        check(code == 0 and os.path.exists(x.path("block002.mat")) and not os.path.exists(x.path("block001.mat")),
              "hang: %d %s" % (code, err))
        ok("hang: block 1 never answered, block 2 after current_block.json moved on")


def main():
    if BIN is None:
        print(__doc__)
        return 2
    global part_start
    parts = {"basic": test_basic, "determinism": test_determinism, "network": test_network,
             "loop": test_loop, "restart": test_restart_safe, "signal": test_stop_signal,
             "cli": test_command_line, "bad": test_bad_block, "content": test_faults_in_content,
             "crash": test_crash, "timed": test_timed_faults}
    began = time.time()
    for name in PARTS or parts:
        part_start = failures
        parts[name]()
    print("%s: %d failure(s) in %.1f s" % (os.path.basename(__file__), failures, time.time() - began))
    return min(failures, 100)


if __name__ == "__main__":
    sys.exit(main())

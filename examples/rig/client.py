#!/usr/bin/python3
"""A rig client for xdream-rig's socket protocol (docs/rig-protocol.md), with python3-zmq only.
Copy it and replace present() with your presentation and recording; the rest is the protocol."""
import argparse, contextlib, datetime, hashlib, json, os, pathlib, signal, struct, time, uuid, zlib

import zmq


def present(stimulus, png):
    """REPLACE THIS: show `png` (the PNG file's bytes; stimulus has "w", "h", "c"), record, and
    return one value per --channels label (say, spikes in your window); None (for all or for one
    channel) for a trial lost to a fixation break. Messages wait meanwhile: keep it short.
    This toy neuron likes bright images: it answers the mean pixel value. It is no PNG decoder:
    xdream's PNGs are 8-bit and unfiltered (libpng's fast mode writes filter type 0 on every
    row), so the inflated IDAT data are, row by row, a 0 byte and then the pixels' bytes."""
    time.sleep(OPTIONS.seconds_per_image)
    data, pos, rows = b"", 8, struct.unpack(">I", png[20:24])[0]
    while pos < len(png):  # chunks: length, type, data, CRC; the pixels are in the IDAT chunks
        size, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data += png[pos + 8:pos + 8 + size] if kind == b"IDAT" else b""
        pos += 12 + size
    raw = zlib.decompress(data)
    mean = (sum(raw) - sum(raw[::len(raw) // rows])) / (len(raw) - rows)  # less the filter bytes
    return [mean] * len(OPTIONS.channels)


class Rig:
    def __init__(self):  # `instance` is new at each start: xdream tells a restart apart
        self.seq, self.session, self.instance = 0, "", uuid.uuid4().hex[:8]
        self.heartbeat_s, self.peer_lost_s = 1.0, 10.0  # until WELCOME says otherwise
        self.welcomed, self.last_sent, self.last_heard = False, 0.0, 0.0
        self.block, self.blocks_done, self.stop_reason, self.done_at = None, 0, None, None
        self.pending, self.finished = [], {}  # RESULTs not acknowledged; "session block": RESULT
        if os.path.exists(OPTIONS.state):  # left by an earlier run: sent again after WELCOME
            state = json.loads(pathlib.Path(OPTIONS.state).read_text())
            self.pending, self.finished = state["pending"], state["finished"]
        self.sock = zmq.Context.instance().socket(zmq.DEALER)  # it reconnects by itself:
        self.sock.reconnect_ivl, self.sock.reconnect_ivl_max = 500, 8000  # after 0.5 s, up to 8 s
        self.sock.linger, self.sock.immediate = 0, 1  # no queue while offline: nothing goes stale
        self.sock.connect(OPTIONS.connect)

    def save(self):  # the state file, safely: a temporary file, flushed to disk, then renamed
        with open(OPTIONS.state + ".tmp", "w") as f:
            json.dump({"pending": self.pending, "finished": self.finished}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(OPTIONS.state + ".tmp", OPTIONS.state)

    def send(self, type_, **fields):  # with the next seq and the clocks; only HELLO until WELCOME
        m = {"v": 1, "type": type_, "session": self.session, **fields}
        if self.welcomed or type_ == "HELLO":
            m.update(seq=self.seq, t_mono_ns=time.monotonic_ns(), t_wall=datetime.datetime.now(
                datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
            self.seq, self.last_sent = self.seq + 1, time.monotonic()
            with contextlib.suppress(zmq.Again):  # not connected: it is lost, HELLO says it again
                self.sock.send(json.dumps(m).encode(), zmq.NOBLOCK)
        return m

    def handle(self, m, frames):
        if m["type"] == "WELCOME":  # send again what is not acknowledged (this session's)
            self.welcomed, self.session = True, m["session"]
            self.heartbeat_s, self.peer_lost_s = m["heartbeat_s"], m["peer_lost_s"]
            if self.block and self.block["session"] != self.session:
                self.block = None  # another session's block (xdream was restarted): void
            self.pending = [self.send("RESULT", **p) for p in self.pending
                            if p["session"] == self.session]
            self.save()
        elif m["type"] == "BLOCK":
            self.on_block(m, frames)
        elif m["type"] == "RESULT_ACK":  # xdream has it: no need to send it again
            self.pending = [p for p in self.pending if p.get("seq") != m["ack_seq"]]
            self.save()
        elif m["type"] == "CANCEL" and self.block and self.block["id"] == m["block_id"]:
            self.send_results(final=True)  # the block is closed: stop, send what we have
        elif m["type"] == "PING":
            self.send("PONG", ping_seq=m["seq"])
        elif m["type"] == "BYE":
            self.stop_reason = "xdream said BYE: %s" % m.get("reason")
        elif m["type"] == "ERROR":
            print("xdream: ERROR %s: %s" % (m.get("code"), m.get("message")), flush=True)

    def on_block(self, m, frames):
        b, finished = self.block, self.finished.get("%s %d" % (self.session, m["block_id"]))
        ack = {"block_id": m["block_id"], "attempt": m["attempt"], "missing": [], "bad_hash": []}
        if finished:  # finished already: acknowledge it, send its whole result again
            self.send("ACK", **ack)
            self.pending.append(self.send("RESULT", **finished))
            return self.save()
        if b and b["id"] == m["block_id"]:  # being shown: acknowledge it again, go on
            return self.send("ACK", **{k: b[k] for k in ack})
        if b:
            self.send_results(final=True)  # a new block closes the one being shown
        for s in m["stimuli"]:  # each PNG: frame k after the JSON, or the file at `path`
            png = frames[s["frame"] - 1] if 1 <= s.get("frame", 0) <= len(frames) else None
            if png is None and os.path.isfile(s.get("path", "")):
                png = pathlib.Path(s["path"]).read_bytes()
            if png is None or hashlib.sha256(png).hexdigest() != s["sha256"]:
                ack["missing" if png is None else "bad_hash"].append(s["stim_id"])
            else:
                s["png"] = png
        self.send("ACK", **ack)  # then show the stimuli in the given order, `reps` times over
        self.block = dict(ack, id=m["block_id"], session=self.session, responses=[], sent=0,
                          valid=0, trials=[(s, rep) for rep in range(m["reps"])
                                           for s in m["stimuli"] if "png" in s])
        if not self.block["trials"]:
            self.send_results(final=True)  # nothing could be loaded: an empty final RESULT

    def step(self):  # the block's next trial; progress and results as it goes
        b, n = self.block, len(OPTIONS.channels)
        stimulus, rep = b["trials"].pop(0)
        values = present(stimulus, stimulus["png"])
        values = [None] * n if values is None else list(values)  # one per channel
        values = [None if v is None or v != v else float(v) for v in values]  # NaN -> null
        b["responses"].append({"stim_id": stimulus["stim_id"], "rep": rep, "values": values})
        b["valid"] += any(v is not None for v in values)
        done = len(b["responses"])
        if done % 5 == 0 and b["trials"]:  # PROGRESS every 5 trials: xdream waits for us
            self.send("PROGRESS", block_id=b["id"], done=done, valid=b["valid"],
                      aborted=done - b["valid"], paused=False)
        if done - b["sent"] >= 10 or not b["trials"]:  # results in parts of 10, then the rest
            self.send_results(final=not b["trials"])

    def send_results(self, final):  # the responses not sent yet; the final RESULT ends the block
        b = self.block  # add "window_ms": [from, to] and "baseline_ms" if you count in windows
        body = {"block_id": b["id"], "attempt": b["attempt"], "channels": OPTIONS.channels,
                "responses": b["responses"][b["sent"]:], "final": final,
                "part": b.setdefault("parts", 0)}  # numbered: xdream waits for a lost part
        b["parts"] += 1
        if final:
            body["parts"] = b["parts"]
        b["sent"] = len(b["responses"])
        if final:  # the whole result of the last 20 blocks, in case xdream sends one again
            self.finished = dict(list(self.finished.items())[-19:])
            self.finished["%s %d" % (b["session"], b["id"])] = dict(
                body, responses=b["responses"], part=0, parts=1)  # all of it, in one part
            self.block, self.blocks_done = None, self.blocks_done + 1
            print("block %d: %d valid of %d" % (b["id"], b["valid"], b["sent"]), flush=True)
        self.pending.append(self.send("RESULT", **body))  # kept until xdream acknowledges it
        self.save()

    def run(self):
        while self.stop_reason is None:
            if self.sock.poll(0 if self.block else 100):  # a message: JSON, then a BLOCK's PNGs
                self.last_heard, frames = time.monotonic(), self.sock.recv_multipart()
                try:
                    self.handle(json.loads(frames[0]), frames[1:])
                except (ValueError, KeyError, TypeError) as e:  # cannot use it: say so, go on
                    print("a message from xdream we cannot use: %r" % e, flush=True)
            now = time.monotonic()
            if self.welcomed and now - self.last_heard >= self.peer_lost_s:
                self.welcomed = False  # xdream has been silent too long: say HELLO again
            if not self.welcomed and now - self.last_sent >= 1.0:  # HELLO each 1 s until WELCOME
                self.send("HELLO", rig=OPTIONS.name, version="1.0", instance=self.instance,
                          state="presenting" if self.block else "idle",
                          blocks=sorted({p["block_id"] for p in self.pending}))
            elif self.welcomed and now - self.last_sent >= self.heartbeat_s:
                self.send("PING")
            if self.block and self.stop_reason is None:
                self.step()
            elif OPTIONS.max_blocks and self.blocks_done >= OPTIONS.max_blocks:
                self.done_at = self.done_at or now  # wait up to 10 s for the acknowledgements
                if not self.pending or now - self.done_at > 10:
                    self.stop_reason = "done %d blocks" % self.blocks_done
        if self.block and self.block["sent"] < len(self.block["responses"]):
            self.send_results(final=False)  # keep what was recorded: sent again after a restart
        self.send("BYE", reason=self.stop_reason)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connect", default="tcp://127.0.0.1:5555", help="xdream's endpoint")
    parser.add_argument("--state", default="rig_client_state.json", help="unacknowledged results")
    parser.add_argument("--channels", default="ch0", type=lambda s: s.split(","), help="a,b,...")
    parser.add_argument("--name", default="python-client", help="this rig's name")
    parser.add_argument("--max-blocks", type=int, default=0, help="stop after N blocks")
    parser.add_argument("--seconds-per-image", type=float, default=0.0, help="the toy's pace")
    OPTIONS = parser.parse_args()
    rig = Rig()
    for sig in (signal.SIGTERM, signal.SIGINT):  # stop cleanly: finish the trial, say BYE
        signal.signal(sig, lambda *_: setattr(rig, "stop_reason", "stopped by a signal"))
    rig.run()  # exit status 0

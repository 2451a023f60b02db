#!/usr/bin/python3
"""The library's headers form layers, and no header includes one of a layer above its own
(docs/design.md, "How the headers layer"). Lists every include that breaks the rule, and any
header that no layer claims.

    /usr/bin/python3 tests/include/layers_test.py INCLUDE_DIR
"""
import fnmatch
import pathlib
import re
import sys

# (layer, patterns), lowest first; a header takes the first layer whose pattern matches it.
LAYERS = [
    (0, ["xdream/population.hpp", "xdream/random.hpp", "xdream/budget.hpp", "xdream/result.hpp",
         "xdream/version.hpp", "xdream/genealogy.hpp", "xdream/detail/validate.hpp",
         "xdream/detail/percentile.hpp", "xdream/detail/parallel.hpp",
         "xdream/detail/check_scores.hpp", "xdream/detail/every_generations.hpp",
         "xdream/genetic/fwd.hpp"]),
    (1, ["xdream/io/error.hpp", "xdream/io/encoding.hpp", "xdream/io/framing.hpp",
         "xdream/io/atomic_file.hpp", "xdream/io/npy.hpp"]),
    (2, ["xdream/concepts.hpp"]),
    (3, ["xdream/detail/state_checkpoint.hpp", "xdream/genetic/*", "xdream/algorithms/*",
         "xdream/objectives/*", "xdream/generators/*", "xdream/rig/clock.hpp",
         "xdream/rig/block.hpp", "xdream/rig/events.hpp", "xdream/rig/transport.hpp",
         "xdream/rig/stop.hpp", "xdream/rig/options.hpp", "xdream/rig/journal.hpp",
         "xdream/rig/objective.hpp", "xdream/rig/link.hpp", "xdream/rig/threads.hpp"]),
    (4, ["xdream/driver.hpp", "xdream/any_algorithm.hpp", "xdream/any_objective.hpp",
         "xdream/callbacks/progress.hpp", "xdream/callbacks/csv_log.hpp",
         "xdream/callbacks/early_stop.hpp", "xdream/callbacks/scores_file.hpp"]),
    (5, ["xdream/io/archive.hpp", "xdream/io/checkpoint.hpp", "xdream/callbacks/checkpointer.hpp",
         "xdream/io/png.hpp", "xdream/io/sha256.hpp", "xdream/rig/response_file.hpp",
         "xdream/rig/detail/*", "xdream/rig/file_transport.hpp", "xdream/rig/protocol.hpp",
         "xdream/rig/socket_transport.hpp", "xdream/rig/tcp_link.hpp",
         "xdream/rig/zmq_link.hpp"]),
    (6, ["xdream/optimizer.hpp"]),
    (7, ["xdream/torch.hpp", "xdream/torch/*"]),
]


def layer_of(header):
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatch(header, p) for p in patterns):
            return layer
    return None


def main():
    include_dir = pathlib.Path(sys.argv[1])
    problems = []
    headers = sorted(include_dir.glob("xdream/**/*.hpp"))
    for path in headers:
        header = path.relative_to(include_dir).as_posix()
        layer = layer_of(header)
        if layer is None:
            problems.append(f"{header}: no layer claims it (add it to LAYERS)")
            continue
        for included in re.findall(r'#include <(xdream/[^>]+)>', path.read_text()):
            included_layer = layer_of(included)
            if included_layer is None:
                problems.append(f"{header}: includes {included}, which no layer claims")
            elif included_layer > layer:
                problems.append(f"{header} (layer {layer}) includes {included} "
                                f"(layer {included_layer}, above it)")
    for problem in problems:
        print("FAIL", problem)
    print(f"{len(headers)} headers, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

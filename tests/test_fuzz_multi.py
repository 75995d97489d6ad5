"""Fuzzing the losses of several tensors (gaussian-nll, cosine-embedding, margin-ranking,
triplet, ctc): each tensor option gets random text or a random array (any shape, extreme and
non-finite values, class-like integers), optional ones are sometimes left out, and parameters
take random values. Every outcome must be clean (test_fuzz.check: exit 0–4, one error line,
no traceback, nothing on stdout on error, bounded time)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_fuzz import FUZZ, OPTION_VALUE, TENSOR, _report_count, check, run  # noqa: F401

from losscalc.losses import all_losses

MULTI = [spec for spec in all_losses().values() if not spec.single_prediction]

VALUES = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324]),
                   st.integers(-3, 6).map(float))
ARRAY = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                   elements=VALUES).map(lambda a: json.dumps(a.tolist()))
TEXT = st.one_of(ARRAY, ARRAY, TENSOR)  # mostly well-formed, to reach the losses' own checks


@st.composite
def invocation(draw):
    spec = draw(st.sampled_from(MULTI))
    args = [spec.name]
    for tensor in spec.tensors:
        if tensor.required or draw(st.booleans()):
            args += [tensor.option, draw(TEXT)]
    for param in spec.params:
        if draw(st.integers(0, 3)) == 0:
            if param.kind == "bool":
                args.append(param.option.split(" / ")[draw(st.integers(0, 1))])
            else:
                args += [param.option, draw(OPTION_VALUE)]
    args += draw(st.sampled_from([[], ["--reduction", "none"], ["--reduction", "sum"],
                                  ["--dtype", "float32"], ["--json"], ["--explain"],
                                  ["--check-grad"], ["--format", "csv"]]))
    return args


@FUZZ
@given(args=invocation())
def test_any_tensors_of_a_multi_input_loss(cli, args):
    check(run(cli, *args, "-q"))

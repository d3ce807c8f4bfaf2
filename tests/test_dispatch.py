"""The one dispatch layer: every public entry goes down dask -> channels -> core, once, and no
layer below calls back up."""

import sys

import numpy as np
import pytest

from skgate import EPLLRestorer, GaussianNoise, denoise_epll

# The layers of a call, top to bottom (doc/architecture.rst).
LAYERS = ["skgate._functions", "skgate._restorer", "skgate._dispatch", "skgate._lazy"]
LAYERS += ["skgate._colour", "skgate._epll"]


def _layers_called(call):
    """Run ``call()`` and return every (caller's deepest layer, callee's layer) pair where a
    function of a layer was entered while a deeper layer was on the stack."""
    upward = []
    calls = []

    def profile(frame, event, arg):
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        if module not in LAYERS:
            return
        calls.append(module)
        rank = LAYERS.index(module)
        caller = frame.f_back
        while caller is not None:
            outer = caller.f_globals.get("__name__", "")
            if outer in LAYERS and LAYERS.index(outer) > rank:
                upward.append((outer, module, frame.f_code.co_name))
                break
            caller = caller.f_back

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return upward, calls


@pytest.mark.parametrize(
    "call",
    [
        lambda y: denoise_epll(y, 0.1, stride=4),
        lambda y: denoise_epll(np.stack([y, y.T, y], -1), 0.1, stride=4, channel_axis=-1),
        lambda y: EPLLRestorer(stride=4, scales=1).restore(y, GaussianNoise(0.1)),
    ],
    ids=["function", "colour", "restorer"],
)
def test_a_call_goes_down_the_layers_and_never_back_up(clean, noisy_version, call):
    upward, calls = _layers_called(lambda: call(noisy_version(clean, 0.1)))
    assert not upward
    assert "skgate._dispatch" in calls and "skgate._epll" in calls
    # the dispatch layer is entered once per call, whatever the number of channels
    assert calls.count("skgate._dispatch") == 1


def test_a_dask_colour_image_takes_the_same_route_as_in_memory(clean, noisy_version):
    da = pytest.importorskip("dask.array")
    noisy = np.stack([noisy_version(clean, 0.1, seed=s) for s in range(3)], axis=-1)
    expected = denoise_epll(noisy, 0.1, stride=4, channel_axis=-1, gating="network")
    lazy = denoise_epll(
        da.from_array(noisy, chunks=(64, 64, 3)), 0.1, stride=4, channel_axis=-1, gating="network"
    )
    assert isinstance(lazy, da.Array) and lazy.shape == noisy.shape
    # one chunk holds the whole image: the lazy path restores it exactly as in memory
    np.testing.assert_allclose(lazy.compute(), expected, atol=1e-6)


def test_restore_refuses_what_a_lazy_result_cannot_honour(clean):
    da = pytest.importorskip("dask.array")
    lazy = da.from_array(clean, chunks=32)
    with pytest.raises(ValueError, match="dask array"):
        EPLLRestorer().restore(lazy, GaussianNoise(0.1), callback=lambda *a: None)

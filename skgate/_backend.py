"""The array namespaces the restoration core runs on (private module).

The core is written once against the Array API standard: every kernel takes its namespace
``xp`` from its input arrays, as scikit-learn does. NumPy arrays keep the ``numpy`` module
itself (NumPy 2 implements the standard in its main namespace), so the NumPy fast paths
(``out=`` buffers, ``sliding_window_view``, radix sorts) stay where they were; other arrays
(PyTorch tensors on any device, CuPy, ``array-api-strict``) get ``array-api-compat``'s
namespace (the installed package, or scikit-learn's vendored copy), imported only when one
arrives. What the standard lacks lives here, each with a generic fallback: sliding windows,
the float32 working dtype, moving the models' NumPy tables to an array's device once (cached
per device) and results back to the host, and whether a device wants large kernels.
"""

import numpy as np

__all__ = [
    "namespace",
    "is_numpy",
    "on_device",
    "like",
    "to_numpy",
    "sliding_windows",
    "work_dtype",
    "block_size",
    "on_accelerator",
    "detached",
    "beside",
]


def _compat():
    """``array-api-compat``: the installed package, else the copy scikit-learn vendors (the
    same code, so no dependency is added for it)."""
    try:
        import array_api_compat
    except ImportError:
        from sklearn.externals import array_api_compat
    return array_api_compat


def namespace(*arrays):
    """``(xp, device)`` of ``arrays`` (NumPy arrays, scalars and None are ignored when other
    arrays are present): the ``numpy`` module and ``"cpu"`` for NumPy arrays, otherwise
    ``array-api-compat``'s namespace and the arrays' device. Arrays from two namespaces or on
    two devices are refused."""
    others = [a for a in arrays if a is not None and not _is_host(a)]
    if not others:
        return np, "cpu"
    compat = _compat()
    try:
        xp = compat.array_namespace(*others)
    except TypeError as error:
        raise TypeError(f"arrays of different libraries cannot be mixed: {error}") from None
    devices = {str(compat.device(a)) for a in others}
    if len(devices) > 1:
        raise ValueError(f"arrays on different devices cannot be mixed: {sorted(devices)}")
    return xp, compat.device(others[0])


def _is_host(value):
    return isinstance(value, (np.ndarray, np.generic, int, float, complex, bool))


def is_numpy(xp):
    """Whether ``xp`` is NumPy itself (its fast paths apply)."""
    return xp is np


def is_array(value):
    """Whether ``value`` is an array of another namespace than NumPy (a tensor, ...) that
    the core can restore (a dask array is not: it has its own path)."""
    if _is_host(value) or value is None:
        return False
    compat = _compat()
    return compat.is_array_api_obj(value) and not (
        compat.is_dask_array(value) or compat.is_numpy_array(value)
    )


def on_accelerator(device):
    """Whether ``device`` is not a CPU, so that few large kernels pay more than
    cache-sized ones: PyTorch's ``"cuda:0"`` or ``"mps"``, CuPy's devices, and
    array-api-strict's (which so runs those paths in the tests, on the CPU)."""
    return not str(device).startswith("cpu")


def block_size(base, device, accelerator=None):
    """Rows per block of a chunked kernel: ``base`` (sized for a CPU's caches) on the CPU;
    on an accelerator, which needs large kernels to fill its cores, ``accelerator`` rows
    (default eight times ``base``)."""
    if not on_accelerator(device):
        return base
    return 8 * base if accelerator is None else accelerator


def detached(array):
    """``array`` without autograd history (a PyTorch tensor that requires grad would make
    every step of the restoration record a graph for nothing: its gating is an argmax);
    anything else as it is."""
    compat = _compat()
    if compat.is_torch_array(array) and array.requires_grad:
        return array.detach()
    return array


def work_dtype(xp):
    """The dtype of images on a device: float32 (the patches' precision; float64 is slow on
    most accelerators)."""
    return np.float64 if is_numpy(xp) else xp.float32


def on_device(store, key, array, xp, device, dtype=None):
    """``array`` (NumPy) as an array of ``xp`` on ``device`` (of ``dtype``, an ``xp``
    dtype, if given), converted once: ``store`` (a dict the owner keeps) caches it under
    ``key``, the device and the dtype. NumPy keeps ``array``."""
    if is_numpy(xp):
        return array
    full_key = (key, xp.__name__, str(device), str(dtype))
    moved = store.get(full_key)
    if moved is None:
        moved = store[full_key] = from_numpy(array, xp, device, dtype)
    return moved


def like(array, reference, store, key):
    """``array`` (a NumPy table of an object that caches its copies in ``store``) in the
    library and on the device of ``reference``, of its precision: complex tables become
    complex64 beside float32 images, real ones take the image's dtype."""
    xp, device = namespace(reference)
    if is_numpy(xp):
        return array
    dtype = reference.dtype
    if np.iscomplexobj(array):
        dtype = xp.complex64 if dtype == xp.float32 else xp.complex128
    elif array.dtype == bool:
        dtype = xp.bool
    return on_device(store, key, array, xp, device, dtype)


def to_numpy(array):
    """A host NumPy copy of ``array`` (any namespace, any device)."""
    if isinstance(array, np.ndarray):
        return array
    compat = _compat()
    if compat.is_torch_array(array):
        return array.detach().cpu().numpy()
    if compat.is_cupy_array(array):
        return array.get()
    try:
        return np.asarray(array)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(compat.to_device(array, "cpu"))


def from_numpy(array, xp, device, dtype=None):
    """A NumPy array as one of ``xp`` on ``device`` (``dtype``: an ``xp`` dtype)."""
    if is_numpy(xp):
        return np.asarray(array, dtype=dtype)
    # Cast on the host first: some devices (Apple's MPS) hold no float64 at all.
    host = _HOST_DTYPES.get(str(dtype).rsplit(".", 1)[-1]) if dtype is not None else None
    moved = xp.asarray(np.ascontiguousarray(array, dtype=host), device=device)
    return moved if dtype is None or moved.dtype == dtype else xp.astype(moved, dtype)


def beside(array, reference):
    """``array`` in the library and on the device of ``reference``: a NumPy array (a
    user's starting image, say) is moved to a tensor's device; anything else is kept."""
    xp, device = namespace(reference)
    if is_numpy(xp) or not isinstance(array, np.ndarray):
        return array
    return from_numpy(array, xp, device)


# NumPy's dtype for each Array API dtype name (``torch.float32`` -> ``float32``).
_HOST_DTYPES = {
    name: np.dtype(name)
    for name in ("bool", "int32", "int64", "float32", "float64", "complex64", "complex128")
}


def sliding_windows(image, p):
    """The ``(M-p+1, N-p+1, [C,] p, p)`` view of every ``p x p`` window of ``image``
    (``(M, N)`` or ``(M, N, C)``) where the library has one (NumPy's
    ``sliding_window_view``, PyTorch's ``unfold``), else None: the caller copies the p^2
    shifted slices instead."""
    if isinstance(image, np.ndarray):
        return np.lib.stride_tricks.sliding_window_view(image, (p, p), axis=(0, 1))
    compat = _compat()
    if compat.is_torch_array(image):
        return image.unfold(0, p, 1).unfold(1, p, 1)
    return None

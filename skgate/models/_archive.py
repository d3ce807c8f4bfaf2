"""The model archive: an ``.npz`` file of plain arrays, written atomically, read without
pickle, its format and version checked and each field read with its type and bounds.

What the fields of a prior or a network must hold is for :mod:`skgate.models` to say; this
module knows only archives and typed fields, so that every check reads one way and every
error names the file and the field.
"""

import json
import zipfile

import numpy as np

from .._files import atomic_path

__all__ = [
    "ModelFileError",
    "write_archive",
    "read_archive",
    "text_field",
    "integer_field",
    "flag_field",
    "real_field",
    "real_array_field",
    "metadata_field",
    "require_fields",
]


class ModelFileError(ValueError):
    """A model file is unreadable, foreign, from a newer skgate, or fails validation.

    A :class:`ValueError`; the message names the file and the field at fault.

    See Also
    --------
    skgate.models.load_prior
    skgate.models.load_network

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skgate.models import ModelFileError, load_prior
    >>> path = os.path.join(tempfile.mkdtemp(), "not_a_prior.npz")
    >>> np.savez(path, weights=np.ones(3))
    >>> try:
    ...     load_prior(path)
    ... except ModelFileError as error:
    ...     print("refused")
    refused
    """


def write_archive(path, arrays):
    """Write ``arrays`` atomically: a crash never leaves a half-written model at ``path``."""
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez_compressed(handle, **arrays)


#: Most elements a model file's field may declare: 16 times the largest the models skgate
#: writes could need (a 1000-component prior over 11 x 11 x 3 patches), and 0.5 GB of
#: float32; a header declaring more is refused before anything is allocated.
MAX_FIELD_ELEMENTS = 2**27


def _check_field_headers(path):
    """Read every field's ``.npy`` header (a few bytes each, nothing else) and refuse one
    that declares more than :data:`MAX_FIELD_ELEMENTS` elements or an object dtype."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            with archive.open(member) as handle:
                version = np.lib.format.read_magic(handle)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            name = member.removesuffix(".npy")
            if dtype.hasobject:
                raise ModelFileError(f"{path}: field '{name}' holds Python objects")
            count = int(np.prod(shape, dtype=object))
            if count > MAX_FIELD_ELEMENTS:
                raise ModelFileError(
                    f"{path}: field '{name}' declares {count} elements, more than any skgate "
                    f"model field holds ({MAX_FIELD_ELEMENTS})"
                )


def read_archive(path, expected_format, supported_version):
    """All arrays of a model file, after checking its format and version; the fields'
    sizes are checked from their headers before any is read."""
    try:
        if zipfile.is_zipfile(path):
            _check_field_headers(path)
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path} is a single .npy array, not an .npz model file")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    except (FileNotFoundError, ModelFileError):
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, AttributeError) as exc:
        raise ModelFileError(f"{path} is not a readable skgate model file: {exc}") from exc
    for key in ("format", "format_version"):
        if key not in arrays:
            raise ModelFileError(f"{path} is not a skgate model file (no '{key}' entry)")
    found = text_field(arrays, path, "format")
    if found != expected_format:
        raise ModelFileError(f"{path} holds a '{found}', not a '{expected_format}'")
    version = integer_field(arrays, path, "format_version", minimum=1)
    if version > supported_version:
        raise ModelFileError(
            f"{path}: field 'format_version' is {version}, newer than this skgate reads "
            f"({supported_version}); upgrade skgate"
        )
    return arrays


# -- one checker per kind of field: each names the field it refuses
def _scalar(arrays, path, key, kinds, what):
    value = np.asarray(arrays[key])
    if value.shape != () or value.dtype.kind not in kinds:
        raise ModelFileError(
            f"{path}: field '{key}' must be {what}, got {value.dtype} of shape {value.shape}"
        )
    return value[()]


def text_field(arrays, path, key):
    return str(_scalar(arrays, path, key, "U", "a text"))


def integer_field(arrays, path, key, minimum):
    value = int(_scalar(arrays, path, key, "iu", "an integer"))
    if value < minimum:
        raise ModelFileError(f"{path}: field '{key}' must be >= {minimum}, got {value}")
    return value


def flag_field(arrays, path, key):
    return bool(_scalar(arrays, path, key, "b", "a boolean"))


def real_field(arrays, path, key, minimum=None, allow_nan=False):
    value = float(_scalar(arrays, path, key, "fiu", "a real number"))
    if np.isnan(value) and allow_nan:
        return value
    if not np.isfinite(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" and >= {minimum}"
        raise ModelFileError(f"{path}: field '{key}' must be finite{bound}, got {value}")
    return value


def real_array_field(arrays, path, key, ndim, largest=None):
    value = np.asarray(arrays[key])
    if value.dtype.kind not in "fiu" or value.ndim != ndim:
        raise ModelFileError(
            f"{path}: field '{key}' must be a real {ndim}-D array, got {value.dtype} of "
            f"shape {value.shape}"
        )
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        raise ModelFileError(f"{path}: field '{key}' contains NaN or infinity")
    if largest is not None and value.size and np.abs(value).max() > largest:
        raise ModelFileError(
            f"{path}: field '{key}' has values up to {np.abs(value).max():.3g}, beyond the "
            f"{largest:g} a trained model holds"
        )
    return value


def metadata_field(arrays, path):
    if "metadata" not in arrays:
        return {}
    try:
        metadata = json.loads(text_field(arrays, path, "metadata"))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: field 'metadata' is not valid JSON") from exc
    if not isinstance(metadata, dict):
        raise ModelFileError(
            f"{path}: field 'metadata' must be a JSON object, got {type(metadata).__name__}"
        )
    return metadata


def require_fields(arrays, path, keys):
    missing = [key for key in keys if key not in arrays]
    if missing:
        names = ", ".join(f"'{key}'" for key in missing)
        raise ModelFileError(f"{path} lacks the field(s) {names}")

#!/usr/bin/env python3
"""Generates the small PyTorch checkpoint fixtures for Tests/CheckpointTests.
Standard library only: torch is not needed.

torch's pickles are emulated with `pickle`: stub modules named `torch`, `torch._utils`,
`torch.nn.parameter` and `collections` are placed in sys.modules so that pickle writes
exactly the GLOBALs torch writes (torch.FloatStorage, torch._utils._rebuild_tensor_v2,
torch._utils._rebuild_parameter), and a Pickler subclass turns storages into the
persistent ids torch uses. The values are mirrored in
Tests/CheckpointTests/TorchFileFixtureTests.swift; change both together.

Files written (all little-endian):
  legacy.pth          torch < 1.6 format: five pickles followed by the raw storages
  zip.pth             torch >= 1.6 format: ZIP_STORED archive, top folder "fixture_zip"
  legacy_wrapped.pth  {"state_dict": OrderedDict(...)} (the wrapper is unwrapped)
  legacy_nested.pth   {"encoder": {"conv": {"weight": t}}, "head.bias": t, "epoch": 7}

Usage: python3 Fixtures/torch/make_pth.py   (rewrites the files next to this script)
"""
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


# --- stub torch modules ------------------------------------------------------------

def _module(name):
    module = types.ModuleType(name)
    sys.modules[name] = module
    return module


torch = _module("torch")
torch_utils = _module("torch._utils")
torch_nn = _module("torch.nn")
torch_nn_parameter = _module("torch.nn.parameter")
torch._utils = torch_utils
torch.nn = torch_nn
torch_nn.parameter = torch_nn_parameter


def _stub_function(module, name):
    def stub(*args):
        raise RuntimeError("stub %s.%s is never called" % (module.__name__, name))
    stub.__module__ = module.__name__
    stub.__name__ = stub.__qualname__ = name
    setattr(module, name, stub)
    return stub


_rebuild_tensor_v2 = _stub_function(torch_utils, "_rebuild_tensor_v2")
_rebuild_parameter = _stub_function(torch_utils, "_rebuild_parameter")

# (storage class name, struct format, element size)
DTYPES = {
    "float32": ("FloatStorage", "<f", 4),
    "float16": ("HalfStorage", "<e", 2),
    "int64": ("LongStorage", "<q", 8),
}
STORAGE_CLASSES = {}
for _name, (_cls, _fmt, _size) in DTYPES.items():
    STORAGE_CLASSES[_name] = type(_cls, (), {"__module__": "torch", "__qualname__": _cls})
    setattr(torch, _cls, STORAGE_CLASSES[_name])


class Storage:
    """A storage: a key, a dtype and its values. Pickled only as a persistent id."""

    def __init__(self, key, dtype, values):
        self.key, self.dtype, self.values = key, dtype, list(values)

    def raw(self):
        fmt = DTYPES[self.dtype][1]
        return b"".join(struct.pack(fmt, v) for v in self.values)


class StorageView:
    """A legacy storage view: storage[offset:offset + size] under its own key."""

    def __init__(self, key, root, offset, size):
        self.key, self.root, self.offset, self.size = key, root, offset, size


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False,
                 collections.OrderedDict()))


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


# --- the fixture state dict ---------------------------------------------------------

def fixture_state(legacy):
    """The OrderedDict both main fixtures hold; `legacy` adds a legacy storage view."""
    weight = Storage("w", "float32", [1.5, -2.0, 3.25, 0.0, 4.5, -6.75])
    base = Storage("b", "float32", [0.5 * i - 1.0 for i in range(10)])
    half_values = [1.0, -2.5, 65504.0, 2.0 ** -24, -0.0]
    if legacy:
        # The half tensor lives in a view of a larger storage: elements 2..6 of 8.
        half_root = Storage("h", "float16", [7.0, 7.0] + half_values + [7.0])
        half = StorageView("hv", half_root, 2, 5)
    else:
        half = Storage("h", "float16", half_values)
    step = Storage("s", "int64", [-3, 12345])
    param = Storage("p", "float32", [0.25, 0.5, 0.75])
    state = collections.OrderedDict()
    state["conv.weight"] = Tensor(weight, 0, (2, 3), (3, 1))
    state["view.base"] = Tensor(base, 0, (10,), (1,))
    # A transposed view: element (i, j) is base[2 + i + 3 * j].
    state["view.t"] = Tensor(base, 2, (3, 2), (1, 3))
    state["half"] = Tensor(half, 0, (5,), (1,))
    state["step"] = Tensor(step, 1, (), ())
    state["param"] = Parameter(Tensor(param, 0, (3,), (1,)))
    # torch attaches the module version table as an attribute; pickle writes a BUILD.
    state._metadata = collections.OrderedDict([("", {"version": 1})])
    return state


# --- writers ------------------------------------------------------------------------

class LegacyPickler(pickle.Pickler):
    """Persistent ids as torch < 1.6 writes them, remembering storages in order."""

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = collections.OrderedDict()

    def persistent_id(self, obj):
        if isinstance(obj, StorageView):
            root = obj.root
            self.storages[root.key] = root
            view = (obj.key, obj.offset, obj.size)
        elif isinstance(obj, Storage):
            root, view = obj, None
            self.storages[root.key] = root
        else:
            return None
        storage_class = STORAGE_CLASSES[root.dtype]
        return ("storage", storage_class, root.key, "cpu", len(root.values), view)


class ZipPickler(pickle.Pickler):
    """Persistent ids as torch >= 1.6 writes them."""

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = collections.OrderedDict()

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        self.storages[obj.key] = obj
        return ("storage", STORAGE_CLASSES[obj.dtype], obj.key, "cpu", len(obj.values))


def write_legacy(path, obj):
    out = io.BytesIO()
    pickle.dump(MAGIC_NUMBER, out, protocol=2)
    pickle.dump(PROTOCOL_VERSION, out, protocol=2)
    pickle.dump({"protocol_version": PROTOCOL_VERSION, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}}, out, protocol=2)
    pickler = LegacyPickler(out)
    pickler.dump(obj)
    keys = sorted(pickler.storages)
    pickle.dump(keys, out, protocol=2)
    for key in keys:
        storage = pickler.storages[key]
        out.write(struct.pack("<q", len(storage.values)))
        out.write(storage.raw())
    with open(path, "wb") as f:
        f.write(out.getvalue())


def write_zip(path, obj, folder):
    pkl = io.BytesIO()
    pickler = ZipPickler(pkl)
    pickler.dump(obj)
    records = [("data.pkl", pkl.getvalue()), ("byteorder", b"little")]
    records += [("data/" + key, storage.raw()) for key, storage in pickler.storages.items()]
    records.append(("version", b"3\n"))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in records:
            # A fixed timestamp keeps the fixture byte-for-byte reproducible.
            archive.writestr(zipfile.ZipInfo(folder + "/" + name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def main():
    write_legacy(os.path.join(HERE, "legacy.pth"), fixture_state(legacy=True))
    write_zip(os.path.join(HERE, "zip.pth"), fixture_state(legacy=False), "fixture_zip")

    inner = collections.OrderedDict()
    inner["a.weight"] = Tensor(Storage("a", "float32", [1.0, 2.0]), 0, (2,), (1,))
    write_legacy(os.path.join(HERE, "legacy_wrapped.pth"), {"state_dict": inner})

    nested = collections.OrderedDict()
    nested["encoder"] = {"conv": {"weight": Tensor(Storage("c", "float32", [3.0]), 0, (1,), (1,))}}
    nested["head.bias"] = Tensor(Storage("d", "float32", [-1.0, 0.5]), 0, (2,), (1,))
    nested["epoch"] = 7
    write_legacy(os.path.join(HERE, "legacy_nested.pth"), nested)


if __name__ == "__main__":
    main()

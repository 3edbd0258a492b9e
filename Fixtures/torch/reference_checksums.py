#!/usr/bin/env python3
"""Independent reference values for the real-checkpoint tests in Tests/CheckpointTests.
Standard library only: parses a legacy (torch < 1.6) .pth with pickle.Unpickler, resolving
globals to stubs and persistent ids to storages read from the end of the file.

Usage: python3 Fixtures/torch/reference_checksums.py FILE.pth [TENSOR_NAME ...]
Prints every tensor's name and shape (with no names given, this is exactly the listing kept
in Fixtures/torch/<file stem>.keys.txt), then for each named tensor the float64 sum of its
elements, the sum of their absolute values, the position-weighted sum Σ (i % 7) × value[i]
(which a wrong element order changes) and its first four elements, all in row-major order.
"""
import collections
import pickle
import struct
import sys

FORMATS = {"FloatStorage": ("<f", 4), "DoubleStorage": ("<d", 8), "HalfStorage": ("<e", 2),
           "LongStorage": ("<q", 8), "IntStorage": ("<i", 4), "ByteStorage": ("<B", 1)}


class StorageType:
    def __init__(self, name):
        self.name = name


class Storage:
    def __init__(self, storage_type, numel):
        self.type, self.numel, self.values = storage_type, numel, None


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def elements(self):
        """Row-major elements, gathered through offset and strides."""
        out = [self.offset]
        for size, stride in zip(self.size, self.stride):
            out = [base + i * stride for base in out for i in range(size)]
        return [self.storage.values[i] for i in out]


def rebuild_tensor_v2(storage, offset, size, stride, *unused):
    return Tensor(storage, offset, size, stride)


class Unpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor_v2
        if module == "torch" and name in FORMATS:
            return StorageType(name)
        raise pickle.UnpicklingError("refusing %s.%s" % (module, name))

    def persistent_load(self, pid):
        kind, storage_type, key, location, numel, view = pid
        assert kind == "storage" and view is None
        return self.storages.setdefault(key, Storage(storage_type, numel))


def load(path):
    storages = {}
    with open(path, "rb") as f:
        for _ in range(3):
            pickle.load(f)  # magic number, protocol version, system info
        state = Unpickler(f, storages).load()
        for key in pickle.load(f):
            fmt, size = FORMATS[storages[key].type.name]
            (numel,) = struct.unpack("<q", f.read(8))
            storages[key].values = [v[0] for v in struct.iter_unpack(fmt, f.read(numel * size))]
    return state


def main():
    state = load(sys.argv[1])
    for name, tensor in state.items():
        print(name, list(tensor.size))
    for name in sys.argv[2:]:
        values = state[name].elements()
        weighted = sum((i % 7) * v for i, v in enumerate(values))
        print("%s sum=%.9g abs=%.9g weighted=%.9g first=%s"
              % (name, sum(values), sum(abs(v) for v in values), weighted, [repr(v) for v in values[:4]]))


if __name__ == "__main__":
    main()

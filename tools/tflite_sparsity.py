"""TFLite's sparse tensor encoding (schema.fbs SparsityParameters), written out in Python from
TensorFlow's tensorflow/lite/kernels/internal/utils/sparsity_format_converter.cc (DenseToSparse,
Apache-2.0) for tools/make_tflite_models.py: a dense numpy array to the traversal order, block map,
per-level DENSE / SPARSE_CSR metadata and the stored values. Built level by level (a compressed sparse
fibre): a dense level keeps every index of every parent, a SPARSE_CSR level only the indices whose
sub-tensor holds a non-zero, with segments marking each parent's run. Independent of ConvLens's reader.
"""
import numpy as np


def expanded(dense, block_map, block_size):
    """The dense array as TFLite's expanded tensor: each blocked dim d split into (n/b, b), the block
    dims appended after the original ones in block_map order."""
    shape, rank = list(dense.shape), dense.ndim
    for d, b in zip(block_map, block_size):
        assert shape[d] % b == 0, f"dim {d} ({shape[d]}) is not a multiple of its block {b}"
    # Split every blocked dim in place, then move the block axes to the end.
    split, block_axes, axis = [], [], 0
    for d in range(rank):
        if d in block_map:
            b = block_size[block_map.index(d)]
            split += [shape[d] // b, b]
            block_axes.append(axis + 1)
            axis += 2
        else:
            split.append(shape[d])
            axis += 1
    x = dense.reshape(split)
    keep = [a for a in range(x.ndim) if a not in block_axes]
    ordered_blocks = [block_axes[sorted(block_map).index(d)] for d in block_map]
    return x.transpose(keep + ordered_blocks)


def encode(dense, traversal_order, formats, block_map=(), block_size=(), index_type="Int32Vector"):
    """dict(traversal_order, block_map, dim_metadata) for tflite_writer, and the stored values."""
    block_map, block_size = list(block_map), list(block_size)
    t = expanded(np.asarray(dense), block_map, block_size).transpose(traversal_order)
    parents = [()]
    meta = []
    for level, fmt in enumerate(formats):
        size = t.shape[level]
        if fmt == "DENSE":
            meta.append(dict(format="DENSE", dense_size=size))
            parents = [p + (i,) for p in parents for i in range(size)]
            continue
        segments, indices, children = [0], [], []
        for p in parents:
            for i in range(size):
                if np.any(t[p + (i,)] != 0):
                    indices.append(i)
                    children.append(p + (i,))
            segments.append(len(indices))
        meta.append(dict(format="SPARSE_CSR", dense_size=0, segments=segments, indices=indices,
                         index_type=index_type))
        parents = children
    values = np.array([t[p] for p in parents], dtype=t.dtype)
    return dict(traversal_order=list(traversal_order), block_map=block_map, dim_metadata=meta), values


# TensorFlow's own vectors (sparsity_format_converter_test.cc): dense values, shape, traversal order,
# per-level formats, block map and sizes; the segments / indices per sparse level and the stored values.
VECTORS = [
    dict(test="SimpleTestD0S1", dense=[6, 0, 9, 8, 0, 0, 0, 0, 5, 0, 0, 7], shape=[3, 4], order=[0, 1],
         formats=["DENSE", "SPARSE_CSR"], blocks=[], sizes=[], sparse={1: ([0, 3, 3, 5], [0, 2, 3, 0, 3])},
         data=[6, 9, 8, 5, 7]),
    dict(test="SimpleTestS1D0", dense=[6, 0, 9, 8, 0, 0, 0, 0, 5, 0, 0, 7], shape=[3, 4], order=[1, 0],
         formats=["SPARSE_CSR", "DENSE"], blocks=[], sizes=[], sparse={0: ([0, 3], [0, 2, 3])},
         data=[6, 0, 5, 9, 0, 0, 8, 0, 7]),
    dict(test="3DTestS0S1S2", dense=[1, 7, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 4, 8, 3, 9],
         shape=[3, 4, 2], order=[0, 1, 2], formats=["SPARSE_CSR"] * 3, blocks=[], sizes=[],
         sparse={0: ([0, 2], [0, 2]), 1: ([0, 2, 5], [0, 2, 0, 2, 3]),
                 2: ([0, 2, 3, 4, 6, 8], [0, 1, 1, 1, 0, 1, 0, 1])}, data=[1, 7, 5, 2, 4, 8, 3, 9]),
    dict(test="BlockTestD0S11DBlock", dense=[1, 0, 2, 3, 0, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0, 6], shape=[4, 4],
         order=[0, 1, 2], formats=["DENSE", "SPARSE_CSR", "DENSE"], blocks=[1], sizes=[2],
         sparse={1: ([0, 2, 3, 4, 5], [0, 1, 0, 1, 1])}, data=[1, 0, 2, 3, 0, 4, 5, 0, 0, 6]),
    dict(test="BlockTestD0S1ColMajorBlock",
         dense=[1, 0, 2, 3, 0, 4, 0, 0, 1, 0, 2, 3, 0, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
         shape=[4, 8], order=[0, 1, 3, 2], formats=["DENSE", "SPARSE_CSR", "DENSE", "DENSE"], blocks=[0, 1],
         sizes=[2, 2], sparse={1: ([0, 3, 4], [0, 1, 2, 1])}, data=[1, 1, 0, 0, 2, 2, 3, 3, 0, 0, 4, 4, 5, 0, 0, 0]),
]


def check_against_tflite():
    """encode() gives TensorFlow's own expected metadata and values for its test vectors."""
    for v in VECTORS:
        dense = np.array(v["dense"], np.int32).reshape(v["shape"])
        s, data = encode(dense, v["order"], v["formats"], v["blocks"], v["sizes"])
        assert data.tolist() == v["data"], (v["test"], data.tolist())
        for level, (segments, indices) in v["sparse"].items():
            got = s["dim_metadata"][level]
            assert (got["segments"], got["indices"]) == (segments, indices), (v["test"], level, got)

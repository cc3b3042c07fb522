"""Interop in a bucket: what wkfn writes there is read directly by tensorstore and
zarr-python, and the reference (`webknossos`, in its own environment) and wkfn
read each other's datasets from the same server. The reference writes mags inside
a dataset as relative paths (``./color/1``) and mags outside it (layers and mags
added as references, remote layers) with the endpoint host in the URL
(``s3://127.0.0.1:PORT/bucket/...``); wkfn reads both."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.storage import objects


def _data() -> np.ndarray:
    return np.random.default_rng(11).integers(0, 255, (70, 50, 40), dtype=np.uint8)


def test_tensorstore_and_zarr_python_read_wkfn_data_from_bucket(
    bucket: str, s3_env: dict[str, str]
) -> None:
    import tensorstore as ts
    import zarr
    from zarr.storage import FsspecStore

    data = _data()
    ds = wk.Dataset(f"{bucket}/ds", voxel_size=(1, 1, 1))
    ds.add_layer("z3", "color").add_mag(1, chunk_shape=16, shard_shape=32).write(
        data, absolute_offset=(0, 0, 0), allow_resize=True
    )
    ds.add_layer("z2", "color", data_format="zarr").add_mag(1).write(
        data, absolute_offset=(0, 0, 0), allow_resize=True
    )
    name = bucket.removeprefix("s3://")
    for layer, driver in (("z3", "zarr3"), ("z2", "zarr")):
        arr = ts.open(
            {
                "driver": driver,
                "kvstore": {
                    "driver": "s3",
                    "bucket": name,
                    "path": f"ds/{layer}/1/",
                    "endpoint": s3_env["S3_ENDPOINT_URL"],
                    "aws_region": s3_env["AWS_REGION"],
                },
                "open": True,
            }
        ).result()
        np.testing.assert_array_equal(arr[0, :70, :50, :40].read().result(), data)
        store = FsspecStore.from_url(
            f"{bucket}/ds/{layer}/1",
            storage_options={
                "endpoint_url": s3_env["S3_ENDPOINT_URL"],
                "key": s3_env["AWS_ACCESS_KEY_ID"],
                "secret": s3_env["AWS_SECRET_ACCESS_KEY"],
                "asynchronous": True,
            },
            read_only=True,
        )
        z = zarr.open_array(store=store, mode="r")
        np.testing.assert_array_equal(np.asarray(z[0, :70, :50, :40]), data)


@pytest.mark.reference
def test_reference_and_wkfn_read_each_other_in_bucket(
    bucket: str, s3_env: dict[str, str], ref: Any
) -> None:
    data = _data()
    ds = wk.Dataset(f"{bucket}/by_wkfn", voxel_size=(11.2, 11.2, 25))
    layer = ds.add_layer("color", "color")
    layer.add_mag(1).write(data, absolute_offset=(3, 0, 0), allow_resize=True)
    layer.downsample(coarsest_mag=2)
    out = ref(
        """
        import os
        from upath import UPath
        ep = os.environ["S3_ENDPOINT_URL"]
        theirs = wk.Dataset.open(UPath(P["url"] + "/by_wkfn", endpoint_url=ep))
        tl = theirs.get_layer("color")
        read = {str(m): int(v.read().astype("uint64").sum())
                for m, v in tl.mags.items()}
        ds = wk.Dataset(UPath(P["url"] + "/by_ref", endpoint_url=ep),
                        voxel_size=(11.2, 11.2, 25))
        layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
        data = np.random.default_rng(11).integers(0, 255, (70, 50, 40), dtype=np.uint8)
        layer.add_mag(1).write(data, absolute_offset=(3, 0, 0), allow_resize=True)
        seg = ds.add_layer("seg", wk.SEGMENTATION_CATEGORY, dtype_per_channel="uint32",
                           data_format="zarr", largest_segment_id=9)
        seg.add_mag(1).write((data % 10).astype("uint32"), absolute_offset=(0, 0, 0),
                             allow_resize=True)
        layer.downsample()
        print(json.dumps({"read": read, "bbox": list(tl.bounding_box.size)}))
        """,
        url=bucket,
    )
    wk_sums = {
        m.to_layer_name(): int(v.read().astype(np.uint64).sum())
        for m, v in layer.mags.items()
    }
    assert out["read"] == wk_sums
    assert out["bbox"] == [70, 50, 40]
    theirs = wk.Dataset.open(f"{bucket}/by_ref")
    color = theirs.get_layer("color")
    np.testing.assert_array_equal(color.get_mag(1).read()[0], data)
    assert len(color.mags) > 1
    seg = theirs.get_layer("seg").get_mag(1)
    np.testing.assert_array_equal(seg.read()[0], (data % 10).astype(np.uint32))
    # and wkfn downsamples it in place, in the bucket, next to the reference's mags
    theirs.get_layer("seg").downsample(coarsest_mag=2)
    assert len(wk.Dataset.open(f"{bucket}/by_ref").get_layer("seg").mags) == 2


@pytest.mark.reference
def test_reference_endpoint_host_mag_paths_are_read_by_wkfn(
    bucket: str, s3_env: dict[str, str], ref: Any
) -> None:
    """The reference names mags outside a dataset (``add_layer_as_ref``,
    ``add_remote_layer``, ``add_mag_as_ref``) as ``s3://<endpoint host:port>/
    <bucket>/<key>``; wkfn reads them at that endpoint, voxel for voxel."""
    out = ref(
        """
        import os
        from upath import UPath
        ep = os.environ["S3_ENDPOINT_URL"]
        def U(p):
            return UPath(P["url"] + p, endpoint_url=ep)
        src = wk.Dataset(U("/src"), voxel_size=(11.2, 11.2, 25))
        color = src.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
        data = np.random.default_rng(11).integers(0, 255, (70, 50, 40), dtype=np.uint8)
        color.add_mag(1).write(data, absolute_offset=(3, 0, 0), allow_resize=True)
        color.downsample()
        seg = src.add_layer("seg", wk.SEGMENTATION_CATEGORY, dtype_per_channel="uint32",
                            data_format="zarr", largest_segment_id=9)
        seg.add_mag(1).write((data % 10).astype("uint32"), absolute_offset=(0, 0, 0),
                             allow_resize=True)
        refs = wk.Dataset(U("/refs"), voxel_size=(11.2, 11.2, 25))
        refs.add_layer_as_ref(wk.Dataset.open(U("/src")).get_layer("color"), "as_ref")
        refs.add_remote_layer(U("/src/seg"), "remote_seg")
        second = sorted(color.mags)[1].to_layer_name()  # anisotropic: 2-2-1
        refs.add_layer("mag2", wk.COLOR_CATEGORY, dtype_per_channel="uint8"
                       ).add_mag_as_ref(U("/src/color/" + second))
        print(json.dumps({"second": second}))
        """,
        url=bucket,
    )
    host = s3_env["S3_ENDPOINT_URL"].split("://", 1)[1]
    name = bucket.removeprefix("s3://")
    props = json.loads(objects.read_bytes(f"{bucket}/refs/datasource-properties.json"))
    paths = {la["name"]: [m["path"] for m in la["mags"]] for la in props["dataLayers"]}
    assert paths["remote_seg"] == [f"s3://{host}/{name}/src/seg/1"]
    second = out["second"]
    assert paths["mag2"] == [f"s3://{host}/{name}/src/color/{second}"]
    assert len(paths["as_ref"]) > 1
    assert all(p.startswith(f"s3://{host}/{name}/src/color/") for p in paths["as_ref"])

    data = _data()
    src = wk.Dataset.open(f"{bucket}/src").get_layer("color")
    refs = wk.Dataset.open(f"{bucket}/refs")
    as_ref = refs.get_layer("as_ref")
    assert sorted(as_ref.mags) == sorted(src.mags)
    assert as_ref.bounding_box == wk.BoundingBox((3, 0, 0), data.shape)
    np.testing.assert_array_equal(as_ref.get_mag(1).read()[0], data)
    for mag in src.mags:
        assert as_ref.get_mag(mag).read_only
        np.testing.assert_array_equal(
            as_ref.get_mag(mag).read(), src.get_mag(mag).read()
        )
    seg = refs.get_layer("remote_seg").get_mag(1)
    assert seg.read_only
    np.testing.assert_array_equal(seg.read()[0], (data % 10).astype(np.uint32))
    np.testing.assert_array_equal(
        refs.get_layer("mag2").get_mag(second).read(), src.get_mag(second).read()
    )

"""A real browser (Debian's headless chromium) loads the page `wkfn serve` shows and
a preview PNG it renders. ``tests/run.sh`` installs chromium when it is missing; the
test is skipped, with the reason, only where chromium could not be installed."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from wkfn.visual.server import DatasetServer

Image = pytest.importorskip("PIL.Image")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "chromium is not installed and could not be installed here "
        "(tests/run.sh runs `apt-get install -y chromium` where apt works)"
    )


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def served(picture_dataset: Path) -> DatasetServer:
    with DatasetServer(picture_dataset, port=0) as server:
        yield server  # type: ignore[misc]


def test_browser_renders_the_index_page(served: DatasetServer, tmp_path: Path) -> None:
    proc = _run(tmp_path, "--dump-dom", served.url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    for name in ("color", "seg", "rgb", "plain"):
        assert f"<h2>{name}</h2>" in dom
        assert f'src="/.wkfn/preview/{name}.png"' in dom
    assert 'id="neuroglancer" href="https://neuroglancer-demo.appspot.com/#!' in dom

    shot = tmp_path / "page.png"
    proc = _run(tmp_path, "--window-size=800,1600", f"--screenshot={shot}", served.url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = np.asarray(Image.open(shot).convert("RGB"))
    assert page.shape[:2] == (1600, 800)
    # the previews are random-valued voxels: many grey levels appear only if the
    # browser fetched and decoded the PNGs the server rendered
    greys = page[(page[..., 0] == page[..., 1]) & (page[..., 1] == page[..., 2])][:, 0]
    assert len(np.unique(greys)) > 200
    # the segmentation preview (middle z) is on the page with its exact colours
    from picture_helpers import SHAPE, labels

    from wkfn.picture.colours import segment_colours

    colours = {tuple(c) for c in page.reshape(-1, 3).tolist()}
    middle = segment_colours(labels()[:, :, SHAPE[2] // 2]).reshape(-1, 3).tolist()
    assert {tuple(c) for c in middle} <= colours


def test_browser_shows_a_preview_png(served: DatasetServer, tmp_path: Path) -> None:
    shot = tmp_path / "preview.png"
    url = served.url + ".wkfn/preview/seg.png?index=9"
    proc = _run(tmp_path, "--window-size=200,200", f"--screenshot={shot}", url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    picture = np.asarray(Image.open(shot).convert("RGB"))
    assert picture.shape[:2] == (200, 200)
    # chromium centres the 40x24 image on its dark image-viewer background
    colours = {tuple(c) for c in picture.reshape(-1, 3).tolist()}
    from picture_helpers import TOPLEFT, labels

    from wkfn.picture.colours import segment_colours

    expected = {
        tuple(c)
        for c in segment_colours(labels()[:, :, 9 - TOPLEFT[2]]).reshape(-1, 3).tolist()
    }
    assert expected <= colours  # every segment's colour, exactly


def test_neuroglancer_reads_every_layer_served(
    picture_dataset: Path, tmp_path: Path
) -> None:
    """The real neuroglancer client (from the `neuroglancer` package, rendering with
    chromium's software WebGL) opens the state `wkfn serve` links to and reads the
    zarr3 layers with range requests and the zarr v2 layer chunk by chunk."""
    import json
    import os
    import signal
    import threading
    import urllib.parse

    neuroglancer = pytest.importorskip("neuroglancer")
    seen: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def record(method: str, path: str, status: int) -> None:
        with lock:
            seen.append((method, path, status))

    with DatasetServer(picture_dataset, port=0, on_request=record) as server:
        link = server.neuroglancer_link()
        state = json.loads(urllib.parse.unquote(link.split("#!", 1)[1]))
        assert [layer["name"] for layer in state["layers"]] == [
            "color",
            "seg",
            "rgb",
            "plain",
        ]
        neuroglancer.set_server_bind_address("127.0.0.1")
        viewer = neuroglancer.Viewer()
        viewer.set_state(neuroglancer.ViewerState(state))
        browser = subprocess.Popen(
            [
                _chromium(),
                *[f for f in FLAGS if f != "--disable-gpu"],
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                f"--user-data-dir={tmp_path / 'ng-profile'}",
                "--window-size=800,800",
                "--remote-debugging-port=0",  # keeps the headless browser running
                viewer.get_viewer_url(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        result: dict[str, object] = {}

        def take() -> None:
            # neuroglancer answers once every visible chunk is loaded and drawn
            result["shot"] = viewer.screenshot(size=[400, 400])

        try:
            worker = threading.Thread(target=take, daemon=True)
            worker.start()
            worker.join(timeout=240)
        finally:
            os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(timeout=60)
            neuroglancer.stop()
    assert "shot" in result, "neuroglancer drew nothing within 240 s"
    shot: object = result["shot"]
    image = shot.screenshot.image  # type: ignore[attr-defined]
    picture = np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 50
    with lock:
        fetched = list(seen)
    assert all(method in ("GET", "HEAD", "OPTIONS") for method, _, _ in fetched)
    for name in ("color", "rgb", "plain"):  # zarr3 shards: read with byte ranges
        assert any(
            path.startswith(f"/{name}/1/c/") and status == 206
            for _, path, status in fetched
        ), (name, fetched)
    # the zarr v2 layer: its metadata, then chunk files ("/" separated keys)
    seg = {path for _, path, status in fetched if status == 200}
    assert "/seg/1/.zarray" in seg
    assert any(path.startswith("/seg/1/0/") for path in seg), sorted(seg)

"""Pictures and serving, the effectful side: read sections of a dataset into images
(:mod:`wkfn.visual.preview`), rasterise plan drawings (:mod:`wkfn.visual.plan_png`)
and serve a dataset read-only over HTTP (:mod:`wkfn.visual.server`). The pure parts
live in :mod:`wkfn.picture`."""

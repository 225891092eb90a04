"""Dependencies of the routes: the runtime, once the model is in, and its model."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from matcher import MatchModel

from .errors import NotReady
from .runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def ready_runtime(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Runtime:
    if runtime.recommender is None:
        raise NotReady()
    return runtime


def get_model(runtime: Annotated[Runtime, Depends(ready_runtime)]) -> MatchModel:
    return runtime.model


AnyRuntimeDep = Annotated[Runtime, Depends(get_runtime)]  # also while the model loads (the probes)
RuntimeDep = Annotated[Runtime, Depends(ready_runtime)]
ModelDep = Annotated[MatchModel, Depends(get_model)]

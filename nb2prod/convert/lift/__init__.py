"""lift: the kept statements moved into functions with libcst (see `functions`); the names other stages use."""

from nb2prod.convert.lift.functions import Function, Lifted, lift
from nb2prod.convert.lift.imports import sort_imports
from nb2prod.convert.lift.request import request_rows, request_shape
from nb2prod.convert.lift.rewrites import MODEL_SUFFIXES, model_file_constants

__all__ = ["MODEL_SUFFIXES", "Function", "Lifted", "lift", "model_file_constants", "request_rows", "request_shape",
           "sort_imports"]

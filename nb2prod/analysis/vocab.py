"""Every list of names nb2prod knows: what a notebook's namespace has without defining it, the methods that leave
their receiver as it was, and the calls made for their effect (writes, logging, experiment tracking)."""

from __future__ import annotations

import builtins

# -- names a notebook has without defining them ------------------------------------------------
# What IPython puts in every notebook's namespace and a script does not have (`exit` and `quit` it has).
IPYTHON_NAMES = frozenset(
    {"display", "get_ipython", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_oh", "_ih", "_dh"})
BUILTINS = frozenset(dir(builtins)) | IPYTHON_NAMES | {
    "__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__", "exit", "quit",
}

# -- methods -----------------------------------------------------------------------------------
# Methods that return a new value and leave their receiver as it was.
PURE_METHODS = frozenset(
    """predict predict_proba predict_log_proba decision_function score transform inverse_transform
    get_params get_feature_names_out copy head tail describe info sample value_counts nunique unique
    isnull isna notnull notna sum mean median std var min max count corr cov abs round cumsum
    astype tolist to_numpy to_list to_dict to_frame reshape ravel flatten argmax argmin argsort
    groupby agg aggregate apply map filter query merge join concat drop dropna fillna replace rename
    reset_index set_index sort_values sort_index loc iloc at iat get keys values items
    format split strip lower upper startswith endswith encode decode dumps loads read
    any all dot mul add sub div pow mode quantile rank diff pct_change shift rolling resample
    pivot pivot_table melt stack unstack explode dropna_columns select_dtypes memory_usage
    squeeze clip nlargest nsmallest idxmax idxmin duplicated drop_duplicates isin between
    where mask corrwith to_string to_json to_markdown summary""".split()
)

# -- writes ------------------------------------------------------------------------------------
# Methods that write what they are called on to a file or a store, whatever object that is.
WRITE_METHODS = frozenset("save savefig write writelines dump write_text write_bytes write_html write_image to_csv "
                          "to_parquet to_pickle to_excel to_feather to_hdf to_sql to_file to_netcdf mkdir touch unlink "
                          "log_metric log_param log_artifact".split())
EXPORT_METHODS = frozenset("to_json to_html to_latex to_markdown to_string to_xml".split())  # return text unless given a path

# -- logging -----------------------------------------------------------------------------------
LOG_METHODS = frozenset("debug info warning warn error exception critical fatal log".split())
LOG_MODULES = ("logging", "structlog", "loguru")  # `logging.info(...)`, `from loguru import logger`
# Conventional names of a logger the notebook did not bind where nb2prod can see (`self.log`, a platform's).
LOGGER_NAMES = frozenset({"logger", "log", "LOGGER", "LOG", "_log", "_logger", "log_", "logging_"})

# -- experiment tracking -----------------------------------------------------------------------
TRACKING_MODULES = ("mlflow", "wandb", "neptune", "comet_ml", "tensorboardX", "torch.utils.tensorboard",
                    "tensorflow.summary", "clearml", "dvclive", "aim")
# Calls that return a run, an experiment or a summary writer: what they return is called for its effect.
TRACKER_FACTORIES = ("wandb.init", "mlflow.start_run", "mlflow.active_run", "mlflow.MlflowClient",
                     "mlflow.tracking.MlflowClient", "neptune.init_run", "neptune.init", "comet_ml.Experiment",
                     "comet_ml.start", "tensorboardX.SummaryWriter", "torch.utils.tensorboard.SummaryWriter",
                     "tensorflow.summary.create_file_writer", "clearml.Task.init", "dvclive.Live", "aim.Run")
TRACKER_NAMES = frozenset({"run", "writer", "experiment", "exp", "tracker", "live", "tb_writer", "summary_writer"})
TRACKING_METHODS = frozenset(
    """log log_metric log_metrics log_param log_params log_artifact log_artifacts log_model log_figure
    log_dict log_text log_image log_table log_input log_parameters log_metrics log_asset set_tag set_tags
    add_scalar add_scalars add_histogram add_image add_images add_figure add_text add_graph add_hparams
    add_pr_curve flush finish end end_run upload track""".split()
)

# Modules whose functions are called for their effect (never to show a value).
EFFECT_MODULES = LOG_MODULES + TRACKING_MODULES + ("warnings",)
EXPORT_PATH_KEYWORDS = frozenset({"path_or_buf", "buf", "path"})  # `df.to_json(path_or_buf="out.json")`


def in_modules(name: str, modules) -> bool:
    """Whether a dotted name is one of `modules` or inside one (`mlflow.sklearn.log_model` is in mlflow)."""
    return any(name == m or name.startswith(m + ".") for m in modules)

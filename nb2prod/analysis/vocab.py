"""The names of ML and logging calls that are made for their effect: writes, logging, experiment tracking."""

from __future__ import annotations

# -- writes ------------------------------------------------------------------------------------
# Methods that write what they are called on to a file or a store, whatever object that is.
WRITE_METHODS = frozenset("save savefig write writelines dump write_text write_bytes write_html write_image to_csv "
                          "to_parquet to_pickle to_excel to_feather to_hdf to_sql to_file to_netcdf mkdir touch unlink "
                          "log_metric log_param log_artifact".split())
EXPORT_METHODS = frozenset("to_json to_html to_latex to_markdown to_xml".split())  # return text unless given a path

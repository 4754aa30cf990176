"""Pipeline files for an engine that runs train.py's steps on a cluster, one module per engine
(`convert --pipeline NAME`). Each renders text from a template and never imports the engine."""

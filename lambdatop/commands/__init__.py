"""The commands behind `lambdatop`: one module each, called by cli.py."""

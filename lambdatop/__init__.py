"""lambdatop: top for AWS Lambda."""

__version__ = "0.1.0"

"""The Insights tests run against moto like the aws tests: the fixtures of tests/aws/conftest.py
(one moto server, reset per test; the `Aws` under test) are shared, not copied."""

import importlib.util
import sys
from pathlib import Path

_AWS_TESTS = Path(__file__).parent.parent / "aws"
sys.path.insert(0, str(_AWS_TESTS))
_spec = importlib.util.spec_from_file_location("aws_conftest", _AWS_TESTS / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_aws_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_aws_conftest)

moto_server = _aws_conftest.moto_server
moto = _aws_conftest.moto
aws = _aws_conftest.aws
